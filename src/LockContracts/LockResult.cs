namespace LockService;

/// <summary>The answer to the acquire, refresh and release calls of <see cref="ILockGrain"/>.</summary>
/// <param name="Outcome">What the call did.</param>
/// <param name="LockName">The lock's name.</param>
/// <param name="Holder">The owner holding a valid lease after the call, or <see langword="null"/> when the lock is free.</param>
/// <param name="FencingToken">
/// The holder's fencing token when the lock is held; otherwise the last token ever granted for this name (0 if never).
/// Present it to the resource you protect and have the resource reject any token lower than the highest it has seen.
/// </param>
/// <param name="AcquiredAt">When the holder's lease was granted (silo clock), or <see langword="null"/> when free.</param>
/// <param name="ExpiresAt">When the holder's lease ends unless refreshed (silo clock), or <see langword="null"/> when free.</param>
/// <param name="LeaseId">
/// The lease id the grain made for a new grant of <see cref="ILockGrain.TryAcquire(string, TimeSpan)"/> or of the
/// owner-keyed <see cref="ILockGrain.Acquire(string, TimeSpan, TimeSpan, CancellationToken)"/> (present it to
/// <see cref="ILockGrain.RefreshLease"/> and <see cref="ILockGrain.ReleaseLease"/>); <see langword="null"/> in every
/// other answer, including a <see cref="LockOutcome.Renewed"/> or a grant found again by the same owner (the grain keeps
/// only the id's hash, so it cannot tell it twice). A lease id is a secret: it is never shown to anyone but the caller it was granted to.
/// </param>
[GenerateSerializer, Immutable, Alias("LockService.LockResult")]
public sealed record LockResult(
    [property: Id(0)] LockOutcome Outcome,
    [property: Id(1)] string LockName,
    [property: Id(2)] string? Holder,
    [property: Id(3)] long FencingToken,
    [property: Id(4)] DateTimeOffset? AcquiredAt,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] string? LeaseId = null)
{
    /// <summary>The caller holds the lock after this call (<see cref="LockOutcome.Granted"/> or <see cref="LockOutcome.Renewed"/>).</summary>
    public bool Acquired => Outcome is LockOutcome.Granted or LockOutcome.Renewed;
}
