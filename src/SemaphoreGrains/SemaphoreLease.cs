using System.Text.Json.Serialization;

namespace LockService.Semaphores;

/// <summary>
/// One stored lease of a semaphore. The JSON names are the stored contract, pinned like the lock's. The lease id
/// itself is never stored, only its SHA-256 (<see cref="Leases.LeaseIdHash"/>).
/// </summary>
/// <param name="Slot">The slot it holds, 0 to max−1.</param>
/// <param name="Owner">The owner label, for people.</param>
/// <param name="LeaseIdHash">The SHA-256 of the lease id, hex.</param>
/// <param name="FencingToken">The token it was granted with.</param>
/// <param name="AcquiredAt">When it was granted (silo clock).</param>
/// <param name="ExpiresAt">When it ends unless refreshed (silo clock).</param>
public sealed record SemaphoreLease(
    [property: JsonPropertyName("slot")] int Slot,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("leaseIdHash")] string LeaseIdHash,
    [property: JsonPropertyName("fencingToken")] long FencingToken,
    [property: JsonPropertyName("acquiredAt")] DateTimeOffset AcquiredAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt)
{
    /// <summary>A lease is valid only while the silo's clock is before its expiry; no timer has to fire for that.</summary>
    public bool IsValidAt(DateTimeOffset now) => now < ExpiresAt;
}
