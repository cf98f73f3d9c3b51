using System.Text.Json.Serialization;

namespace LockService.Grains;

/// <summary>
/// The durable record of one lock. The JSON names are the stored contract (the grain storage serializer is
/// System.Text.Json), so they are pinned here and a C# rename cannot orphan existing rows.
/// </summary>
/// <remarks>
/// The row is never deleted: on release only <see cref="Holder"/> is cleared, so <see cref="FencingToken"/>
/// survives and the next grant's token is larger than every token granted before, whatever happened between.
/// </remarks>
public sealed class LockState
{
    /// <summary>The owner of the current lease, or <see langword="null"/> once released or reaped.</summary>
    [JsonPropertyName("holder")]
    public string? Holder { get; set; }

    /// <summary>The owner that received <see cref="FencingToken"/>; kept after release so a repeated release is recognised.</summary>
    [JsonPropertyName("lastHolder")]
    public string? LastHolder { get; set; }

    /// <summary>The highest fencing token ever granted for this lock name.</summary>
    [JsonPropertyName("fencingToken")]
    public long FencingToken { get; set; }

    [JsonPropertyName("acquiredAt")]
    public DateTimeOffset? AcquiredAt { get; set; }

    [JsonPropertyName("expiresAt")]
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>A lease is valid only while the silo's clock is before its expiry; no timer has to fire for that.</summary>
    public bool IsHeldAt(DateTimeOffset now) => Holder is not null && ExpiresAt is { } expiresAt && now < expiresAt;

    /// <summary>The holder's lease ran out but the record still names it (nobody has called since).</summary>
    public bool IsExpiredAt(DateTimeOffset now) => Holder is not null && !IsHeldAt(now);

    public LockState Copy() => (LockState)MemberwiseClone();
}
