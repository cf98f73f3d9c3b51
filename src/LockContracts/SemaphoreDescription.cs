namespace LockService;

/// <summary>A read-only view of one semaphore, from <see cref="ISemaphoreGrain.Describe"/>. Lease ids are never shown.</summary>
/// <param name="SemaphoreName">The semaphore's name.</param>
/// <param name="MaxCount">The limit (0 before the first grant).</param>
/// <param name="FencingToken">The highest token granted for this name (0 if never).</param>
/// <param name="Holders">The valid leases, by slot.</param>
/// <param name="WaitingCount">How many callers wait in the queue.</param>
[GenerateSerializer, Immutable, Alias("LockService.SemaphoreDescription")]
public sealed record SemaphoreDescription(
    [property: Id(0)] string SemaphoreName,
    [property: Id(1)] int MaxCount,
    [property: Id(2)] long FencingToken,
    [property: Id(3)] IReadOnlyList<SemaphoreHolder> Holders,
    [property: Id(4)] int WaitingCount);

/// <summary>One valid lease of a semaphore.</summary>
/// <param name="Owner">The owner label the lease was granted to.</param>
/// <param name="Slot">The lease's slot, 0 to max−1.</param>
/// <param name="FencingToken">The lease's fencing token.</param>
/// <param name="AcquiredAt">When it was granted (silo clock).</param>
/// <param name="ExpiresAt">When it ends unless refreshed (silo clock).</param>
[GenerateSerializer, Immutable, Alias("LockService.SemaphoreHolder")]
public sealed record SemaphoreHolder(
    [property: Id(0)] string Owner,
    [property: Id(1)] int Slot,
    [property: Id(2)] long FencingToken,
    [property: Id(3)] DateTimeOffset AcquiredAt,
    [property: Id(4)] DateTimeOffset ExpiresAt);
