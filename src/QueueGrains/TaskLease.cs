using System.Text.Json.Serialization;

namespace LockService.Queues;

/// <summary>
/// The lease record of one task that was claimed at least once: tens of bytes, so a segment's whole leases record stays
/// small and a claim rewrites only that. The lease id itself is never stored, only its SHA-256
/// (<see cref="Leases.LeaseIdHash"/>). The short JSON names are the stored contract, short because every claim writes
/// every entry of its segment.
/// </summary>
/// <param name="Status">The stored status; a <see cref="QueueTaskStatus.Claimed"/> entry whose lease ended is pending (or dead) whatever is stored.</param>
/// <param name="LeaseIdHash">The hash of the lease id of its last claim.</param>
/// <param name="Worker">The worker of its last claim.</param>
/// <param name="ExpiresAtMs">When its last claim ends (Unix milliseconds, silo clock).</param>
/// <param name="ClaimToken">The token of its last claim: one more for every claim of this task, never reused.</param>
/// <param name="Attempts">How many times it was claimed since it was enqueued or retried.</param>
/// <param name="LastError">The error its last abandon gave, or why its last claim ended.</param>
public sealed record TaskLease(
    [property: JsonPropertyName("s")] QueueTaskStatus Status,
    [property: JsonPropertyName("h")] string LeaseIdHash,
    [property: JsonPropertyName("w")] string Worker,
    [property: JsonPropertyName("x")] long ExpiresAtMs,
    [property: JsonPropertyName("t")] long ClaimToken,
    [property: JsonPropertyName("a")] int Attempts,
    [property: JsonPropertyName("e"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError = null)
{
    /// <summary>When its last claim ends.</summary>
    [JsonIgnore]
    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAtMs);

    /// <summary>Claimed under a lease that has not ended at <paramref name="now"/>: no timer has to fire for it to end.</summary>
    public bool IsClaimedAt(DateTimeOffset now) => Status == QueueTaskStatus.Claimed && now < ExpiresAt;

    /// <summary>Its status at <paramref name="now"/>: a claim whose lease ended is pending again, or dead after <paramref name="maxAttempts"/>.</summary>
    public QueueTaskStatus StatusAt(DateTimeOffset now, int maxAttempts) => Status switch
    {
        QueueTaskStatus.Claimed when now >= ExpiresAt => Attempts >= maxAttempts ? QueueTaskStatus.Dead : QueueTaskStatus.Pending,
        _ => Status,
    };

    /// <summary>Its last error at <paramref name="now"/>: a claim whose lease ended says so.</summary>
    public string? LastErrorAt(DateTimeOffset now) =>
        Status == QueueTaskStatus.Claimed && now >= ExpiresAt
            ? $"the claim of worker '{Worker}' (claim token {ClaimToken}) expired at {ExpiresAt:o}"
            : LastError;
}
