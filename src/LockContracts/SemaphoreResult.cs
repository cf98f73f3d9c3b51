namespace LockService;

/// <summary>The answer to a call on one lease of an <see cref="ISemaphoreGrain"/>.</summary>
/// <param name="Outcome">What the call did (the same outcomes as a lock's).</param>
/// <param name="SemaphoreName">The semaphore's name.</param>
/// <param name="Slot">The lease's slot, 0 to max−1, while the caller holds one; otherwise <see langword="null"/>.</param>
/// <param name="FencingToken">
/// The lease's fencing token while held; otherwise the last token granted for this name (0 if never). Tokens grow per
/// name and are never reused. A fenced resource keeps the highest token per slot (see the README's per-slot pattern).
/// </param>
/// <param name="AcquiredAt">When the lease was granted (silo clock), or <see langword="null"/> when not held.</param>
/// <param name="ExpiresAt">When the lease ends unless refreshed (silo clock), or <see langword="null"/> when not held.</param>
/// <param name="MaxCount">The semaphore's limit (0 before its first grant).</param>
/// <param name="HolderCount">How many valid leases the semaphore has after the call.</param>
[GenerateSerializer, Immutable, Alias("LockService.SemaphoreResult")]
public sealed record SemaphoreResult(
    [property: Id(0)] LockOutcome Outcome,
    [property: Id(1)] string SemaphoreName,
    [property: Id(2)] int? Slot,
    [property: Id(3)] long FencingToken,
    [property: Id(4)] DateTimeOffset? AcquiredAt,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] int MaxCount,
    [property: Id(7)] int HolderCount)
{
    /// <summary>The caller holds a lease after this call (<see cref="LockOutcome.Granted"/> or <see cref="LockOutcome.Renewed"/>).</summary>
    public bool Acquired => Outcome is LockOutcome.Granted or LockOutcome.Renewed;
}
