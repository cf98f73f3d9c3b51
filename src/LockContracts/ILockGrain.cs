using Orleans;
using Orleans.Concurrency;

namespace LockService;

/// <summary>
/// One distributed lock, keyed by its name. Orleans runs one call at a time per activation, so acquire,
/// refresh and release for one name are serialized without any further locking.
/// </summary>
/// <remarks>
/// Every grant is written to durable storage before it is returned and carries a fencing token that only
/// grows for this name. Expiry is decided on every call from the stored lease and the silo's clock.
/// Losing a race is a normal <see cref="LockResult"/>; invalid arguments throw <see cref="ArgumentException"/>
/// with the violated rule in the message.
/// </remarks>
[Alias("LockService.ILockGrain")]
public interface ILockGrain : IGrainWithStringKey
{
    /// <summary>
    /// Grants the lock to <paramref name="owner"/> when it is free or its lease has expired. When
    /// <paramref name="owner"/> already holds it, the lease is extended and the fencing token is kept.
    /// </summary>
    /// <param name="owner">Identity of the caller; the same owner asking again is treated as a renewal.</param>
    /// <param name="ttl">Lease length, positive and at most the silo's configured maximum (default 24 h).</param>
    /// <returns>
    /// <see cref="LockOutcome.Granted"/> (with <see cref="LockResult.LeaseId"/>, made by the grain), <see cref="LockOutcome.Renewed"/>
    /// (without it: the grain keeps only its hash) or <see cref="LockOutcome.Busy"/>. A lease granted by lease id is
    /// never renewed here, whatever its owner label.
    /// </returns>
    [Alias("TryAcquire")]
    Task<LockResult> TryAcquire(string owner, TimeSpan ttl);

    /// <summary>
    /// Extends the lease of the current holder. Only the holder presenting its current fencing token, while its
    /// lease is still valid, succeeds; anyone else gets <see cref="LockOutcome.NotHolder"/>.
    /// </summary>
    [Alias("Refresh")]
    Task<LockResult> Refresh(string owner, long fencingToken, TimeSpan ttl);

    /// <summary>
    /// Releases the lock held by <paramref name="owner"/> with <paramref name="fencingToken"/>. Idempotent for
    /// the holder (<see cref="LockOutcome.AlreadyReleased"/> the second time); a release by anyone else changes
    /// nothing and returns <see cref="LockOutcome.NotHolder"/>.
    /// </summary>
    [Alias("Release")]
    Task<LockResult> Release(string owner, long fencingToken);

    /// <summary>
    /// Acquires the lock for <paramref name="owner"/>, waiting first come, first served behind earlier waiters for
    /// at most <paramref name="timeout"/>. The grain hands the lock over when the holder releases or its lease
    /// expires, and the grant is durable before this call returns it. Returns <see cref="LockOutcome.Busy"/> when the
    /// wait timed out. Waiting does not block other calls to the lock.
    /// </summary>
    /// <param name="owner">Identity of the caller; use one owner per acquisition attempt.</param>
    /// <param name="ttl">Lease length of the grant.</param>
    /// <param name="timeout">How long to wait, at most <see cref="LockArguments.MaxWaitPerCall"/>; longer waits call again.</param>
    /// <param name="cancellationToken">Cancels the wait; the caller should then call <see cref="Abandon"/>.</param>
    /// <exception cref="LockQueueFullException">The lock's wait queue is at its configured bound.</exception>
    [Alias("Acquire")]
    [AlwaysInterleave]
    [ResponseTimeout("00:35:00")]
    Task<LockResult> Acquire(string owner, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives up an acquisition attempt of <paramref name="owner"/>: removes it from the wait queue and, if the lock
    /// was granted to it in the meantime (a grant whose answer was lost), releases that grant. Idempotent.
    /// </summary>
    [Alias("Abandon")]
    Task<LockResult> Abandon(string owner);

    /// <summary>
    /// Operator break-glass: ends the current lease whoever holds it. The next grant gets a larger fencing token and
    /// the old holder's next refresh is refused.
    /// </summary>
    [Alias("ForceRelease")]
    Task<LockResult> ForceRelease();

    /// <summary>
    /// Like <see cref="TryAcquire(string, TimeSpan)"/> for the lease <paramref name="leaseId"/> (made by the client with
    /// <see cref="LeaseIds.New"/>): asking again with the same lease id while it is held extends it and keeps its token,
    /// so a retry after a lost answer never makes a second grant; a different lease id of the same owner is Busy.
    /// </summary>
    [Alias("TryAcquireLease")]
    Task<LockResult> TryAcquire(string owner, string leaseId, TimeSpan ttl);

    /// <summary>Like <see cref="Acquire(string, TimeSpan, TimeSpan, CancellationToken)"/> for the lease <paramref name="leaseId"/>.</summary>
    [Alias("AcquireLease")]
    [AlwaysInterleave]
    [ResponseTimeout("00:35:00")]
    Task<LockResult> Acquire(string owner, string leaseId, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Extends the valid lease <paramref name="leaseId"/>; <see cref="LockOutcome.NotHolder"/> when it is not the valid lease.</summary>
    [Alias("RefreshLease")]
    Task<LockResult> RefreshLease(string leaseId, TimeSpan ttl);

    /// <summary>Releases the lease <paramref name="leaseId"/>; idempotent (<see cref="LockOutcome.AlreadyReleased"/> the second time).</summary>
    [Alias("ReleaseLease")]
    Task<LockResult> ReleaseLease(string leaseId);

    /// <summary>Gives up an acquisition attempt of the lease <paramref name="leaseId"/> (leaves the queue, releases a grant whose answer was lost).</summary>
    [Alias("AbandonLease")]
    Task<LockResult> AbandonLease(string leaseId);

    /// <summary>Reads the lock's current state without writing anything.</summary>
    [Alias("Describe")]
    [ReadOnly]
    Task<LockDescription> Describe();
}
