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
    /// <returns><see cref="LockOutcome.Granted"/>, <see cref="LockOutcome.Renewed"/> or <see cref="LockOutcome.Busy"/>.</returns>
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

    /// <summary>Reads the lock's current state without writing anything.</summary>
    [Alias("Describe")]
    [ReadOnly]
    Task<LockDescription> Describe();
}
