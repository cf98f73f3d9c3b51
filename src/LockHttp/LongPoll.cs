using Microsoft.AspNetCore.Http;

namespace LockService.Http;

/// <summary>
/// One long-poll: a grain's wait call that ends when the client disconnects or the silo starts stopping. Then, and
/// also when a grant raced that moment, the attempt is withdrawn at once (the grain's Abandon with the same lease
/// id), so a client that is gone is never left holding anything.
/// </summary>
public static class LongPoll
{
    /// <summary>
    /// An acquisition as the client library makes it: one try, which also renews a lease this lease id already holds
    /// (a retry after a lost answer) instead of queueing behind it; then, if refused and <paramref name="wait"/> is
    /// positive, one long-poll in the grain's fair queue (<see cref="RunAsync{T}"/>). <see langword="null"/> when the
    /// poll was cut short.
    /// </summary>
    /// <typeparam name="T">What the grain's calls answer.</typeparam>
    /// <param name="http">The request.</param>
    /// <param name="shutdown">The silo's stop signal.</param>
    /// <param name="wait">How long the caller is willing to wait; zero for one try.</param>
    /// <param name="tryOnce">The grain's try.</param>
    /// <param name="waitCall">The grain's wait call, given the token to pass as its cancellation token.</param>
    /// <param name="withdraw">The grain's idempotent withdrawal of this attempt.</param>
    /// <param name="acquired">Whether an answer is a grant (or renewal).</param>
    public static async Task<T?> AcquireAsync<T>(
        HttpContext http, HttpShutdown shutdown, TimeSpan wait, Func<Task<T>> tryOnce, Func<CancellationToken, Task<T>> waitCall, Func<Task> withdraw, Func<T, bool> acquired)
        where T : class
    {
        var answer = await tryOnce();
        return acquired(answer) || wait <= TimeSpan.Zero ? answer : await RunAsync(http, shutdown, waitCall, withdraw, acquired);
    }

    /// <summary>The end of a busy answer's detail: how long the caller waited, if it did.</summary>
    public static string WithinWait(TimeSpan wait, string what) =>
        wait > TimeSpan.Zero ? $" and {what} within {Durations.Describe(wait)}" : "";

    /// <summary>
    /// Runs <paramref name="wait"/> with a token that ends on <see cref="HttpContext.RequestAborted"/> or the silo's
    /// stop. Returns its answer, or <see langword="null"/> when the poll was cut short (withdrawn; answer with
    /// <see cref="ShuttingDown"/> when the silo stops). An error other than bad input also withdraws, then propagates.
    /// </summary>
    /// <typeparam name="T">What the grain's wait call answers.</typeparam>
    /// <param name="http">The request.</param>
    /// <param name="shutdown">The silo's stop signal.</param>
    /// <param name="wait">The grain's wait call, given the token to pass as its cancellation token.</param>
    /// <param name="withdraw">The grain's idempotent withdrawal of this attempt (Abandon with the lease id).</param>
    /// <param name="holds">Whether an answer holds something that must be withdrawn if nobody will receive it.</param>
    public static async Task<T?> RunAsync<T>(HttpContext http, HttpShutdown shutdown, Func<CancellationToken, Task<T>> wait, Func<Task> withdraw, Func<T, bool> holds)
        where T : class
    {
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, shutdown.Stopping);
        T answer;
        try
        {
            answer = await wait(cut.Token);
        }
        catch (OperationCanceledException) when (cut.IsCancellationRequested)
        {
            await withdraw();
            return null;
        }
        catch (Exception exception) when (exception is not ArgumentException)
        {
            // The call may have been granted before it failed (a lost answer): withdrawing is harmless otherwise.
            await withdraw();
            throw;
        }

        if (cut.IsCancellationRequested && holds(answer))
        {
            // Granted just as the client left or the silo began to stop: nobody will receive it, so it goes at once.
            await withdraw();
            return null;
        }

        return answer;
    }

    /// <summary>
    /// The answer to a wait that the silo's stop cut short, or that arrives while it stops: 503 with Retry-After, so the
    /// client retries on another silo with the same lease id. (A poll cut short by the client's disconnect needs no answer.)
    /// </summary>
    public static RetryAfterResult ShuttingDown() =>
        Problems.Unavailable("This silo is shutting down; the wait was withdrawn. Retry on another silo with the same leaseId.");
}
