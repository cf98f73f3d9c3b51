namespace LockService;

/// <summary>A read-only view of one lock, from <see cref="ILockGrain.Describe"/>.</summary>
/// <param name="LockName">The lock's name.</param>
/// <param name="Holder">The owner holding a valid lease, or <see langword="null"/> when the lock is free or its lease expired.</param>
/// <param name="FencingToken">The holder's token when held; otherwise the last token granted (0 if never).</param>
/// <param name="AcquiredAt">When the current lease was granted, or <see langword="null"/> when free.</param>
/// <param name="ExpiresAt">When the current lease ends unless refreshed, or <see langword="null"/> when free.</param>
/// <param name="WaitingCount">How many callers wait in the lock's queue.</param>
[GenerateSerializer, Immutable, Alias("LockService.LockDescription")]
public sealed record LockDescription(
    [property: Id(0)] string LockName,
    [property: Id(1)] string? Holder,
    [property: Id(2)] long FencingToken,
    [property: Id(3)] DateTimeOffset? AcquiredAt,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] int WaitingCount)
{
    /// <summary>Someone holds a valid lease.</summary>
    public bool IsHeld => Holder is not null;
}
