using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// One named counting semaphore: at most <see cref="MaxCount"/> holders at once, each with its own slot and fencing
/// token. <see cref="TryAcquireAsync"/> returns <see langword="null"/> when every slot stays taken;
/// <see cref="AcquireAsync"/> throws <see cref="TimeoutException"/>. Waiting queues in the semaphore itself, first come,
/// first served; nobody polls.
/// </summary>
/// <remarks>
/// Every acquisition makes one lease id (<see cref="LeaseIds.New"/>) and presents it on every retry, refresh, release
/// and withdrawal, so a retry after a lost answer finds the grant that landed instead of taking a second slot. The
/// owner is only a label; a fixed <see cref="LockOptions.Owner"/> may hold several slots at once.
/// </remarks>
public sealed partial class DistributedSemaphore
{
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    private readonly LockOptions _options;
    private readonly LockProvider _provider;

    internal DistributedSemaphore(string name, int maxCount, LockOptions options, LockProvider provider)
    {
        Name = name;
        MaxCount = maxCount;
        _options = options;
        _provider = provider;
    }

    /// <summary>The semaphore's name.</summary>
    public string Name { get; }

    /// <summary>The limit this client asks for; it must equal the semaphore's stored limit.</summary>
    public int MaxCount { get; }

    /// <summary>
    /// Acquires a slot, waiting up to <paramref name="timeout"/> (default: not at all; <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever). Returns <see langword="null"/> if every slot stayed taken that long. A cluster that does not answer
    /// ends the call as for <see cref="DistributedLock.TryAcquireAsync"/>; whatever an unanswered call may have been
    /// granted is withdrawn.
    /// </summary>
    /// <param name="timeout">How long to wait for a slot.</param>
    /// <param name="cancellationToken">Cancels the acquisition until it returns a handle; a grant made meanwhile is withdrawn.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (thrown at the call, not by the task).</exception>
    /// <exception cref="SemaphoreLimitMismatchException">The semaphore has another limit than <see cref="MaxCount"/>; nothing changed.</exception>
    public ValueTask<SemaphoreHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        DistributedLock.ValidateTimeout(timeout);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<SemaphoreHandle?>(cancellationToken)
            : new ValueTask<SemaphoreHandle?>(AcquireCoreAsync(timeout, cancellationToken));
    }

    /// <summary>
    /// Acquires a slot, waiting up to <paramref name="timeout"/> (default: forever). Timeout, cancellation and a
    /// cluster that does not answer behave as for <see cref="TryAcquireAsync"/>.
    /// </summary>
    /// <exception cref="TimeoutException">Every slot stayed taken for the whole timeout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (thrown at the call, not by the task).</exception>
    /// <exception cref="SemaphoreLimitMismatchException">The semaphore has another limit than <see cref="MaxCount"/>; nothing changed.</exception>
    public ValueTask<SemaphoreHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        DistributedLock.ValidateTimeout(timeout ?? Timeout.InfiniteTimeSpan);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<SemaphoreHandle>(cancellationToken)
            : new ValueTask<SemaphoreHandle>(AcquireOrThrowAsync(timeout, cancellationToken));
    }

    private async Task<SemaphoreHandle> AcquireOrThrowAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireCoreAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Semaphore '{Name}' had no free slot of {MaxCount} within {timeout}.");

    private async Task<SemaphoreHandle?> AcquireCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var lease = new PendingLease(_provider.SemaphoreGrain(Name), _provider.NextOwner(_options), LeaseIds.New());
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero && timeout < LongestTimer)
        {
            // The server ends a wait at the timeout itself; this only ends calls that hang past it.
            deadline.CancelAfter(timeout + DistributedLock.AnswerAllowance);
        }

        try
        {
            return await AcquireWithLeaseAsync(lease, timeout, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // A call was in flight and may have been granted: withdraw it, without waiting long for a silent cluster.
            await Task.WhenAny(WithdrawAsync(lease), Task.Delay(DistributedLock.AnswerAllowance)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
        catch
        {
            // Including SemaphoreLimitMismatchException, which reaches the caller unchanged: an earlier call of this
            // attempt may have been granted before the limit changed, and the withdrawal is harmless otherwise.
            await WithdrawAsync(lease).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The acquisition proper, as <see cref="DistributedLock"/> does it, with one lease id throughout. <c>uncertain</c>
    /// is when the earliest call that could have produced the current grant was sent.
    /// </summary>
    private async Task<SemaphoreHandle?> AcquireWithLeaseAsync(PendingLease lease, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        var result = await UnknownOutcome.RetryAsync(
            () =>
            {
                attempts++;
                return lease.Calls.Track(lease.Grain.TryAcquire(lease.Owner, lease.LeaseId, MaxCount, _options.Ttl));
            },
            _provider.ClientOptions.RetryBudget,
            cancellationToken).ConfigureAwait(false);
        if (result.Acquired
            && await SemaphoreHandle.StartAsync(lease, result, _options, started, retried: attempts > 1, _provider, cancellationToken).ConfigureAwait(false) is { } handle)
        {
            return handle;
        }

        if (timeout == TimeSpan.Zero)
        {
            // A refused try joined no queue and holds nothing: there is nothing to withdraw.
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
                result = await lease.Calls.Track(lease.Grain.Acquire(lease.Owner, lease.LeaseId, MaxCount, _options.Ttl, chunk, cancellationToken))
                    .WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                // The wait call failed (failover, time-out): ask again with the same lease id, which finds a grant that landed.
                LogWaitRetry(_provider.Logger, exception, Name);
                retried = true;
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (result.Acquired
                && await SemaphoreHandle.StartAsync(lease, result, _options, uncertain.Value, retried, _provider, cancellationToken).ConfigureAwait(false) is { } waited)
            {
                return waited;
            }

            // Not granted, or the grant lapsed before it could be handed out. After any failed call, a later grant may
            // be one an earlier call left open, with its lease already running: StartAsync refreshes it first.
            uncertain = null;
        }

        // Gave up: make sure no grant to this lease id lingers in the queue or in the semaphore.
        await WithdrawAsync(lease).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Withdraws whatever this lease id may have been granted or queued for; once more after the calls that were open
    /// at the withdrawal have answered, since one may reach the semaphore after it (see <see cref="CallsInFlight"/>).
    /// </summary>
    private Task WithdrawAsync(PendingLease lease) =>
        lease.Calls.WithdrawAsync(() => AbandonAsync(lease), DistributedLock.LateAnswerWait(_provider, _options));

    /// <summary>One withdrawal (Abandon, retried), bounded by the lease length.</summary>
    private async Task AbandonAsync(PendingLease lease)
    {
        try
        {
            var budget = _provider.ClientOptions.RetryBudget < _options.Ttl ? _provider.ClientOptions.RetryBudget : _options.Ttl;
            await UnknownOutcome.RetryAsync(() => lease.Grain.Abandon(lease.LeaseId), budget).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The grant, if any, runs out with its lease; nobody else is harmed, only delayed.
            LogAbandonFailed(_provider.Logger, exception, Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Semaphore '{SemaphoreName}': wait call failed; asking again with the same lease id.")]
    private static partial void LogWaitRetry(ILogger logger, Exception exception, string semaphoreName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Semaphore '{SemaphoreName}': could not withdraw an abandoned acquisition; any grant to it expires with its lease.")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string semaphoreName);
}
