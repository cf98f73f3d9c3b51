namespace LockService;

/// <summary>The answer to <see cref="ILockGrain.TryAcquire"/>, <see cref="ILockGrain.Refresh"/> or <see cref="ILockGrain.Release"/>.</summary>
/// <param name="Outcome">What the call did.</param>
/// <param name="LockName">The lock's name.</param>
/// <param name="Holder">The owner holding a valid lease after the call, or <see langword="null"/> when the lock is free.</param>
/// <param name="FencingToken">
/// The holder's fencing token when the lock is held; otherwise the last token ever granted for this name (0 if never).
/// Present it to the resource you protect and have the resource reject any token lower than the highest it has seen.
/// </param>
/// <param name="AcquiredAt">When the holder's lease was granted (silo clock), or <see langword="null"/> when free.</param>
/// <param name="ExpiresAt">When the holder's lease ends unless refreshed (silo clock), or <see langword="null"/> when free.</param>
[GenerateSerializer, Immutable, Alias("LockService.LockResult")]
public sealed record LockResult(
    [property: Id(0)] LockOutcome Outcome,
    [property: Id(1)] string LockName,
    [property: Id(2)] string? Holder,
    [property: Id(3)] long FencingToken,
    [property: Id(4)] DateTimeOffset? AcquiredAt,
    [property: Id(5)] DateTimeOffset? ExpiresAt)
{
    /// <summary>The caller holds the lock after this call (<see cref="LockOutcome.Granted"/> or <see cref="LockOutcome.Renewed"/>).</summary>
    public bool Acquired => Outcome is LockOutcome.Granted or LockOutcome.Renewed;
}
