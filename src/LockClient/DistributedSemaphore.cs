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
public sealed class DistributedSemaphore
{
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

    private Task<SemaphoreHandle?> AcquireCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var lease = new PendingLease(_provider.SemaphoreGrain(Name), _provider.NextOwner(_options), LeaseIds.New());
        var acquisition = new LeaseAcquisition<SemaphoreResult, SemaphoreHandle>
        {
            Subject = $"Semaphore '{Name}'",
            Provider = _provider,
            Options = _options,
            Try = () => lease.Grain.TryAcquire(lease.Owner, lease.LeaseId, MaxCount, _options.Ttl),
            Wait = (chunk, token) => lease.Grain.Acquire(lease.Owner, lease.LeaseId, MaxCount, _options.Ttl, chunk, token),
            Start = (result, sentAt, retried, token) => result.Acquired
                ? SemaphoreHandle.StartAsync(lease, result, _options, sentAt, retried, _provider, token)
                : Task.FromResult<SemaphoreHandle?>(null),
            Withdraw = () => lease.Grain.Abandon(lease.LeaseId),
        };

        // SemaphoreLimitMismatchException reaches the caller unchanged, after the withdrawal.
        return acquisition.RunAsync(timeout, cancellationToken);
    }
}
