namespace LockService.Client;

/// <summary>
/// One named lock. <see cref="TryAcquireAsync"/> returns <see langword="null"/> when it loses; <see cref="AcquireAsync"/>
/// throws <see cref="TimeoutException"/>. Waiting queues in the lock itself, first come, first served; nobody polls.
/// </summary>
public sealed class DistributedLock
{
    /// <summary>
    /// A long wait is a series of wait calls this long. Each call that ends keeps this caller's place in the queue
    /// for the next one, and a client that vanished stops calling, so the lock drops it within about this time
    /// instead of granting it a lease nobody would receive.
    /// </summary>
    internal static readonly TimeSpan WaitCallLength = TimeSpan.FromSeconds(20);

    /// <summary>How long past its timeout an acquisition waits for an answer before it counts the call as hung.</summary>
    internal static readonly TimeSpan AnswerAllowance = TimeSpan.FromMilliseconds(500);

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
        // Taken inside the returned task: a second acquisition by a fixed owner fails the task, not the call.
        var claim = _options.Owner is null ? null : FixedOwnerClaims.Take(Name, owner);
        var acquisition = new LeaseAcquisition<LockResult, LockHandle>
        {
            Subject = $"Lock '{Name}'",
            Provider = _provider,
            Options = _options,
            Try = () => grain.TryAcquire(owner, leaseId, _options.Ttl),
            Wait = (chunk, token) => grain.Acquire(owner, leaseId, _options.Ttl, chunk, token),
            Start = (result, sentAt, retried, token) => result.Acquired
                ? LockHandle.StartAsync(grain, result, owner, leaseId, _options, sentAt, retried, claim, _provider, token)
                : Task.FromResult<LockHandle?>(null),
            Withdraw = () => grain.AbandonLease(leaseId),
            // The fixed-owner claim is held until the last withdrawal, so a new acquisition by the same owner cannot
            // start meanwhile; a handle that was handed out owns it instead.
            Done = claim is null ? null : claim.Dispose,
        };
        return await acquisition.RunAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long a withdrawal waits for the attempt's open calls before it withdraws again: a call answers or times out
    /// within this, and past the lease length a late grant has run out by itself, so waiting longer achieves nothing.
    /// </summary>
    internal static TimeSpan LateAnswerWait(LockProvider provider, LockOptions options)
    {
        var longest = provider.ClientOptions.ResponseTimeout + WaitCallLength;
        return longest < options.Ttl ? longest : options.Ttl;
    }
}
