namespace LockService.Client;

/// <summary>
/// The grain calls of one acquisition attempt that have not answered yet. A withdrawal sent while one of them is still
/// on its way can be processed before it once a silo stalls (CI saw it: the stalled try was granted after the Abandon
/// that should have withdrawn it, and its lease idled for the whole TTL), so an attempt that gives up with calls still
/// open withdraws once more when they have answered or timed out.
/// </summary>
internal sealed class CallsInFlight
{
    private readonly List<Task> _calls = [];

    /// <summary>Remembers <paramref name="call"/> until it completes, and returns it.</summary>
    public Task<T> Track<T>(Task<T> call)
    {
        lock (_calls)
        {
            _calls.RemoveAll(static c => c.IsCompleted);
            if (!call.IsCompleted)
            {
                _calls.Add(call);
            }
        }

        return call;
    }

    /// <summary>The calls that have not answered yet (none: an empty array).</summary>
    public Task[] Open()
    {
        lock (_calls)
        {
            return [.. _calls.Where(static c => !c.IsCompleted)];
        }
    }

    /// <summary>Completes when every one of <paramref name="calls"/> has answered, failed or timed out; never faults.</summary>
    public static Task SettledAsync(Task[] calls) =>
        Task.WhenAll(calls.Select(static c => c.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)));

    /// <summary>
    /// Withdraws the attempt: runs <paramref name="abandon"/> (which must not throw) now and, when calls were open as it
    /// was sent, once more in the background after they have answered or <paramref name="longestWait"/> has passed;
    /// <paramref name="done"/> runs after the last withdrawal. Returns after the first.
    /// </summary>
    public async Task WithdrawAsync(Func<Task> abandon, TimeSpan longestWait, Action? done = null)
    {
        // Taken before the withdrawal is sent: any of these may reach the grain after it, even if it answers first.
        var open = Open();
        try
        {
            await abandon().ConfigureAwait(false);
        }
        finally
        {
            if (open.Length > 0)
            {
                _ = WithdrawAgainOnceAnsweredAsync(open, abandon, longestWait, done);
            }
            else
            {
                done?.Invoke();
            }
        }
    }

    private static async Task WithdrawAgainOnceAnsweredAsync(Task[] open, Func<Task> abandon, TimeSpan longestWait, Action? done)
    {
        try
        {
            await Task.WhenAny(SettledAsync(open), Task.Delay(longestWait)).ConfigureAwait(false);
            await abandon().ConfigureAwait(false);
        }
        finally
        {
            done?.Invoke();
        }
    }
}
