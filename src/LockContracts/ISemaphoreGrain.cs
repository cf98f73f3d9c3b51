using Orleans;
using Orleans.Concurrency;

namespace LockService;

/// <summary>
/// One counting semaphore, keyed by its name: at most <c>maxCount</c> valid leases at once, each with its own lease id,
/// slot (0 to max−1) and fencing token. It shares the lock's lease rules: expiry decided on every call from the stored
/// leases and the silo's clock, every grant durable before it is returned, a storage conflict fails closed, fair FIFO
/// waiting, tokens that only grow per name.
/// </summary>
/// <remarks>
/// The limit is stored at the first grant; a call with another limit throws <see cref="SemaphoreLimitMismatchException"/>
/// and changes nothing. Invalid arguments throw <see cref="ArgumentException"/> naming the rule.
/// </remarks>
[Alias("LockService.ISemaphoreGrain")]
public interface ISemaphoreGrain : IGrainWithStringKey
{
    /// <summary>
    /// Grants a slot to the lease <paramref name="leaseId"/> when fewer than <paramref name="maxCount"/> leases are
    /// valid and nobody waits. Asking again with the same lease id while it is held extends it and returns the same
    /// slot and token (<see cref="LockOutcome.Renewed"/>), so a retry after a lost answer never takes a second slot.
    /// </summary>
    [Alias("TryAcquire")]
    Task<SemaphoreResult> TryAcquire(string owner, string leaseId, int maxCount, TimeSpan ttl);

    /// <summary>
    /// Acquires a slot, waiting first come, first served for at most <paramref name="timeout"/>
    /// (at most <see cref="LockArguments.MaxWaitPerCall"/>); <see cref="LockOutcome.Busy"/> when the wait timed out.
    /// Never granted after the wait timed out or was cancelled (the caller then calls <see cref="Abandon"/>).
    /// </summary>
    /// <exception cref="LockQueueFullException">The wait queue is at its configured bound.</exception>
    [Alias("Acquire")]
    [AlwaysInterleave]
    [ResponseTimeout("00:35:00")]
    Task<SemaphoreResult> Acquire(string owner, string leaseId, int maxCount, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Extends the valid lease <paramref name="leaseId"/>; <see cref="LockOutcome.NotHolder"/> when it is not valid.</summary>
    [Alias("Refresh")]
    Task<SemaphoreResult> Refresh(string leaseId, TimeSpan ttl);

    /// <summary>Ends the lease <paramref name="leaseId"/> and frees its slot; idempotent (<see cref="LockOutcome.AlreadyReleased"/> the second time).</summary>
    /// <remarks>
    /// Interleaves, so releases that arrive while the semaphore is writing are carried by its next write together
    /// (with the grants to the waiters they make room for) instead of waiting for one write each.
    /// </remarks>
    [Alias("Release")]
    [AlwaysInterleave]
    Task<SemaphoreResult> Release(string leaseId);

    /// <summary>Gives up an acquisition attempt: leaves the queue and releases a grant whose answer was lost. Idempotent.</summary>
    [Alias("Abandon")]
    Task<SemaphoreResult> Abandon(string leaseId);

    /// <summary>
    /// Operator break-glass: ends the lease in <paramref name="slot"/>, or every lease when <see langword="null"/>.
    /// Returns how many leases it ended. Their holders' next refresh is refused.
    /// </summary>
    [Alias("ForceRelease")]
    Task<int> ForceRelease(int? slot);

    /// <summary>
    /// Operator: sets the limit. Raising it grants waiters at once (in one durable write); lowering it revokes
    /// nobody, and new grants wait until fewer than the new limit hold.
    /// </summary>
    [Alias("SetLimit")]
    Task<SemaphoreDescription> SetLimit(int maxCount);

    /// <summary>Reads the semaphore's current state without writing anything.</summary>
    [Alias("Describe")]
    [ReadOnly]
    Task<SemaphoreDescription> Describe();
}
