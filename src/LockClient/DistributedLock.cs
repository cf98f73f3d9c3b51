using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// One named lock. <see cref="TryAcquireAsync"/> returns <see langword="null"/> when it loses; <see cref="AcquireAsync"/>
/// throws <see cref="TimeoutException"/>. Waiting queues in the lock itself, first come, first served; nobody polls.
/// </summary>
public sealed partial class DistributedLock
{
    /// <summary>
    /// A long wait is a series of wait calls this long. Each call that ends keeps this caller's place in the queue
    /// for the next one, and a client that vanished stops calling, so the lock drops it within about this time
    /// instead of granting it a lease nobody would receive.
    /// </summary>
    internal static readonly TimeSpan WaitCallLength = TimeSpan.FromSeconds(20);

    /// <summary>How long past its timeout an acquisition waits for an answer before it counts the call as hung.</summary>
    internal static readonly TimeSpan AnswerAllowance = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    private readonly LockOptions _options;
    private readonly LockProvider _provider;

    internal DistributedLock(string name, LockOptions options, LockProvider provider)
    {
        Name = name;
        _options = options;
        _provider = provider;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Acquires the lock, waiting up to <paramref name="timeout"/> (default: not at all; <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever). Returns <see langword="null"/> if someone else kept it that long. A cluster that does not answer
    /// ends the call too: a positive timeout is kept to within half a second even then, and a zero timeout is bounded
    /// by <see cref="LockClientOptions.RetryBudget"/>. Whatever an unanswered call may have been granted is withdrawn.
    /// </summary>
    /// <param name="timeout">How long to wait for the lock.</param>
    /// <param name="cancellationToken">
    /// Cancels the acquisition until it returns a handle; whatever was granted meanwhile is withdrawn. An already
    /// cancelled token sends nothing.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (thrown at the call, not by the task).</exception>
    /// <exception cref="InvalidOperationException">A fixed <see cref="LockOptions.Owner"/> already holds or is acquiring this lock in this process.</exception>
    public ValueTask<LockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        ValidateTimeout(timeout);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<LockHandle?>(cancellationToken)
            : new ValueTask<LockHandle?>(AcquireCoreAsync(timeout, cancellationToken));
    }

    /// <summary>
    /// Acquires the lock, waiting up to <paramref name="timeout"/> (default: forever). Timeout, cancellation and a
    /// cluster that does not answer behave as for <see cref="TryAcquireAsync"/>.
    /// </summary>
    /// <exception cref="TimeoutException">Someone else kept the lock for the whole timeout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (thrown at the call, not by the task).</exception>
    public ValueTask<LockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ValidateTimeout(timeout ?? Timeout.InfiniteTimeSpan);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<LockHandle>(cancellationToken)
            : new ValueTask<LockHandle>(AcquireOrThrowAsync(timeout, cancellationToken));
    }

    private async Task<LockHandle> AcquireOrThrowAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireCoreAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Lock '{Name}' was not acquired within {timeout}.");

    internal static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Invalid timeout: it must be zero or positive, or Timeout.InfiniteTimeSpan (was {timeout}).");
        }
    }

    private async Task<LockHandle?> AcquireCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var grain = _provider.Grain(Name);
        var owner = _provider.NextOwner(_options);
        // One lease id per acquisition attempt, used for every retry, refresh, release and abandon of it: a retry after
        // a lost answer finds the grant it may have produced, and nothing else can.
        var leaseId = LeaseIds.New();
        var claim = _options.Owner is null ? null : FixedOwnerClaims.Take(Name, owner);
        var calls = new CallsInFlight();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero && timeout < LongestTimer)
        {
            // The server ends a wait at the timeout itself; this only ends calls that hang past it. (Longer timeouts
            // than a timer can hold are as good as forever: the token and the retry budget still end a hung call.)
            deadline.CancelAfter(timeout + AnswerAllowance);
        }

        try
        {
            // Null only after the claim was released or handed to a withdrawal.
            return await AcquireAsLeaseAsync(grain, owner, leaseId, timeout, claim, calls, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // A call was in flight and may have been granted: withdraw it, without waiting long for a cluster that
            // may not be answering.
            await Task.WhenAny(WithdrawAsync(grain, leaseId, claim, calls), Task.Delay(AnswerAllowance)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
        catch
        {
            await WithdrawAsync(grain, leaseId, claim, calls).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The acquisition proper. <c>uncertainSince</c> is when the earliest call that could have produced the current
    /// grant was sent: a call whose outcome is unknown may have been granted, and a retry with the same lease id then
    /// finds that grant with its lease already running.
    /// </summary>
    private async Task<LockHandle?> AcquireAsLeaseAsync(ILockGrain grain, string owner, string leaseId, TimeSpan timeout, FixedOwnerClaims.Claim? claim, CallsInFlight calls, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var uncertainSince = started;
        var attempts = 0;
        var result = await UnknownOutcome.RetryAsync(
            () =>
            {
                attempts++;
                return calls.Track(grain.TryAcquire(owner, leaseId, _options.Ttl));
            },
            _provider.ClientOptions.RetryBudget,
            cancellationToken).ConfigureAwait(false);
        if (result.Acquired)
        {
            var handle = await LockHandle.StartAsync(grain, result, owner, leaseId, _options, uncertainSince, retried: attempts > 1, claim, _provider, cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                return handle;
            }
        }

        if (timeout == TimeSpan.Zero)
        {
            // A try that was refused joined no queue and holds nothing: there is nothing to withdraw.
            claim?.Dispose();
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

            var sentAt = Stopwatch.GetTimestamp();
            uncertain ??= sentAt;
            try
            {
                var chunk = remaining < WaitCallLength ? remaining : WaitCallLength;
                result = await calls.Track(grain.Acquire(owner, leaseId, _options.Ttl, chunk, cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                // The wait call failed (failover, time-out): ask again with the same lease id, which finds a grant that landed.
                LogWaitRetry(_provider.Logger, exception, Name);
                retried = true;
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (result.Acquired)
            {
                var handle = await LockHandle.StartAsync(grain, result, owner, leaseId, _options, uncertain.Value, retried, claim, _provider, cancellationToken).ConfigureAwait(false);
                if (handle is not null)
                {
                    return handle;
                }
            }

            // Not granted (or the grant lapsed before it could be handed out): no earlier call's grant stands. A call
            // that failed earlier may still be open in the lock and be granted later, found by a later call with its
            // lease already running, so after any failed call every grant is refreshed before it is handed out.
            uncertain = null;
        }

        // Gave up: make sure no grant to this attempt lingers in the queue or in the lock.
        await WithdrawAsync(grain, leaseId, claim, calls).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Withdraws whatever the attempt with <paramref name="leaseId"/> may have been granted or queued for, and releases
    /// <paramref name="claim"/> when done. Returns after the first withdrawal; when calls of the attempt were open as it
    /// was sent, a second one follows in the background once they have answered (see <see cref="CallsInFlight"/>), and
    /// the claim is held until then so a new acquisition by the same fixed owner cannot start meanwhile.
    /// </summary>
    private Task WithdrawAsync(ILockGrain grain, string leaseId, FixedOwnerClaims.Claim? claim, CallsInFlight calls) =>
        calls.WithdrawAsync(() => AbandonAsync(grain, leaseId), LateAnswerWait(_provider, _options), claim is null ? null : claim.Dispose);

    /// <summary>
    /// How long a withdrawal waits for the attempt's open calls before it withdraws again: a call answers or times out
    /// within this, and past the lease length a late grant has run out by itself, so waiting longer achieves nothing.
    /// </summary>
    internal static TimeSpan LateAnswerWait(LockProvider provider, LockOptions options)
    {
        var longest = provider.ClientOptions.ResponseTimeout + WaitCallLength;
        return longest < options.Ttl ? longest : options.Ttl;
    }

    /// <summary>
    /// One withdrawal (Abandon, retried). Bounded by the lease length: a grant that could not be withdrawn ends by
    /// itself within its TTL, so retrying longer achieves nothing.
    /// </summary>
    private async Task AbandonAsync(ILockGrain grain, string leaseId)
    {
        try
        {
            var budget = _provider.ClientOptions.RetryBudget < _options.Ttl ? _provider.ClientOptions.RetryBudget : _options.Ttl;
            await UnknownOutcome.RetryAsync(() => grain.AbandonLease(leaseId), budget).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The grant, if any, runs out with its lease; nobody else is harmed, only delayed.
            LogAbandonFailed(_provider.Logger, exception, Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}': wait call failed; asking again with the same lease id.")]
    private static partial void LogWaitRetry(ILogger logger, Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': could not withdraw an abandoned acquisition; any grant to it expires with its lease.")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string lockName);
}
