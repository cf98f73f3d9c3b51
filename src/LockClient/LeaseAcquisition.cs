using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// One acquisition attempt with one lease id, as the lock, the semaphore and the work queue make it: a try, then (with a
/// positive timeout) wait calls of at most <see cref="DistributedLock.WaitCallLength"/> each, every call retried after
/// an unknown outcome with the same lease id, so a retry finds what an earlier call was given instead of taking a
/// second one. Whatever the attempt may have been given when it gives up (timeout, cancellation, an error) is
/// withdrawn, and withdrawn again once the calls open at that moment have answered (see <see cref="CallsInFlight"/>).
/// </summary>
/// <typeparam name="TResult">What one call answers.</typeparam>
/// <typeparam name="THandle">What the caller gets: a handle whose lease is kept alive.</typeparam>
internal sealed class LeaseAcquisition<TResult, THandle>
    where THandle : class
{
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    /// <summary>How logs name the primitive: <c>Semaphore 'jobs'</c>, <c>Queue 'mail'</c>.</summary>
    public required string Subject { get; init; }

    public required LockProvider Provider { get; init; }

    public required LockOptions Options { get; init; }

    /// <summary>The try: answers at once.</summary>
    public required Func<Task<TResult>> Try { get; init; }

    /// <summary>One wait call of at most the given length.</summary>
    public required Func<TimeSpan, CancellationToken, Task<TResult>> Wait { get; init; }

    /// <summary>
    /// Hands out what a call answered: a started handle, or null when nothing was granted or the grant lapsed before it
    /// could be handed out. Given when the earliest call that could have produced it was sent, and whether it may have
    /// been found by a retry (then its lease is renewed first).
    /// </summary>
    public required Func<TResult, long, bool, CancellationToken, Task<THandle?>> Start { get; init; }

    /// <summary>One withdrawal call with the attempt's lease id; idempotent.</summary>
    public required Func<Task> Withdraw { get; init; }

    /// <summary>
    /// Runs once the attempt holds nothing and will send nothing more: after a refused try, or after the last
    /// withdrawal. Not when a handle was handed out (the handle then owns what this would free).
    /// </summary>
    public Action? Done { get; init; }

    /// <summary>The attempt's calls that have not answered yet: a withdrawal is repeated after them.</summary>
    public CallsInFlight Calls { get; } = new();

    /// <summary>
    /// Acquires, waiting up to <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: forever). Null when
    /// nothing was granted within it. The token and a positive timeout are kept even when the cluster does not answer
    /// (within <see cref="DistributedLock.AnswerAllowance"/>).
    /// </summary>
    public async Task<THandle?> RunAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero && timeout < LongestTimer)
        {
            // The server ends a wait at the timeout itself; this only ends calls that hang past it.
            deadline.CancelAfter(timeout + DistributedLock.AnswerAllowance);
        }

        try
        {
            return await AcquireAsync(timeout, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // A call was in flight and may have been granted: withdraw it, without waiting long for a silent cluster.
            await Task.WhenAny(WithdrawAsync(), Task.Delay(DistributedLock.AnswerAllowance)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
        catch
        {
            // Including the primitive's own refusals (a semaphore limit mismatch), which reach the caller unchanged: an
            // earlier call of this attempt may have been granted, and the withdrawal is harmless otherwise.
            await WithdrawAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The acquisition proper. <c>uncertain</c> is when the earliest call that could have produced the current grant was sent.</summary>
    private async Task<THandle?> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        var result = await UnknownOutcome.RetryAsync(
            () =>
            {
                attempts++;
                return Calls.Track(Try());
            },
            Provider.ClientOptions.RetryBudget,
            cancellationToken).ConfigureAwait(false);
        if (await Start(result, started, attempts > 1, cancellationToken).ConfigureAwait(false) is { } handle)
        {
            return handle;
        }

        if (timeout == TimeSpan.Zero)
        {
            // A refused try joined no queue and holds nothing: there is nothing to withdraw.
            Done?.Invoke();
            return null;
        }

        long? uncertain = null;
        var retried = false;
        while (true)
        {
            var remaining = timeout == Timeout.InfiniteTimeSpan ? LockArguments.MaxWaitPerCall : timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            uncertain ??= Stopwatch.GetTimestamp();
            try
            {
                var chunk = remaining < DistributedLock.WaitCallLength ? remaining : DistributedLock.WaitCallLength;
                result = await Calls.Track(Wait(chunk, cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                // The wait call failed (failover, time-out): ask again with the same lease id, which finds a grant that landed.
                LeaseAcquisitionLog.WaitRetry(Provider.Logger, exception, Subject);
                retried = true;
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (await Start(result, uncertain.Value, retried, cancellationToken).ConfigureAwait(false) is { } waited)
            {
                return waited;
            }

            // Not granted, or the grant lapsed before it could be handed out. After any failed call, a later grant may
            // be one an earlier call left open, with its lease already running: Start renews it first.
            uncertain = null;
        }

        // Gave up: make sure no grant to this lease id lingers.
        await WithdrawAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>Withdraws now, and once more after the calls open at this moment have answered.</summary>
    private Task WithdrawAsync() => Calls.WithdrawAsync(WithdrawOnceAsync, DistributedLock.LateAnswerWait(Provider, Options), Done);

    /// <summary>One withdrawal, retried, bounded by the lease length: a grant it misses ends with its lease anyway.</summary>
    private async Task WithdrawOnceAsync()
    {
        try
        {
            var budget = Provider.ClientOptions.RetryBudget < Options.Ttl ? Provider.ClientOptions.RetryBudget : Options.Ttl;
            await UnknownOutcome.RetryAsync(async () => { await Withdraw().ConfigureAwait(false); return true; }, budget).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The grant, if any, runs out with its lease; nobody else is harmed, only delayed.
            LeaseAcquisitionLog.WithdrawFailed(Provider.Logger, exception, Subject);
        }
    }
}

/// <summary>The logs of <see cref="LeaseAcquisition{TResult, THandle}"/> (the log generator wants a non-generic class).</summary>
internal static partial class LeaseAcquisitionLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: wait call failed; asking again with the same lease id.")]
    public static partial void WaitRetry(ILogger logger, Exception exception, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: could not withdraw an abandoned acquisition; any grant to it ends with its lease.")]
    public static partial void WithdrawFailed(ILogger logger, Exception exception, string subject);
}
