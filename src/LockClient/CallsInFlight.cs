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
}
