using System.Diagnostics;

namespace LockService.Client;

/// <summary>
/// Retries calls whose outcome is unknown: a time-out, a silo that went away mid-call, a storage write that failed
/// closed. The lock calls are safe to repeat with the same lease id (a grant that landed is found again with its token,
/// a release that landed answers "already released"), which is what makes the retry correct rather than merely hopeful.
/// </summary>
internal static class UnknownOutcome
{
    public static bool IsRetriable(Exception exception) =>
        exception is TimeoutException or LockStorageException or OrleansException && exception is not LockQueueFullException;

    /// <summary>
    /// Calls until one answers or <paramref name="budget"/> is spent. The budget bounds a call that hangs as well as
    /// the retries: a cluster that accepts connections but never answers ends the attempt with a
    /// <see cref="TimeoutException"/> when the budget runs out.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            try
            {
                return await call().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsRetriable(exception) && Stopwatch.GetElapsedTime(started) + delay < budget)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }
}
