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

    /// <summary>
    /// The SHA-256 of the lease id of the lease that received <see cref="FencingToken"/> (<c>LeaseIdHash.Of</c>), kept
    /// after release like <see cref="LastHolder"/> so a repeated release is recognised; never the lease id itself, so a
    /// database dump cannot be replayed. <see langword="null"/> for rows written before lease ids and for grants to an
    /// owner-keyed wait call.
    /// </summary>
    [JsonPropertyName("leaseIdHash")]
    public string? LeaseIdHash
    {
        get => LeaseIdHashBytes is { } hash ? Convert.ToHexStringLower(hash) : null;
        set => LeaseIdHashBytes = value is null ? null : Convert.FromHexString(value);
    }

    /// <summary>
    /// The same hash as its 32 bytes (<c>LeaseIdHash.BytesOf</c>): the form the grain keeps and compares in memory, a
    /// third of the hex string's size. Only <see cref="LeaseIdHash"/> is stored, so rows stay as they were. Never
    /// changed in place: a new grant gets a new array, so copies may share one.
    /// </summary>
    [JsonIgnore]
    public byte[]? LeaseIdHashBytes { get; set; }

    /// <summary>
    /// The lease was granted to a caller that made its own lease id (the lease-id calls): only that id refreshes,
    /// releases or abandons it, and the owner is a mere label, so a caller reusing the owner name cannot find it.
    /// False for grants of the owner calls (and for rows written before lease ids), which owner and token still match.
    /// </summary>
    [JsonPropertyName("leaseIdOnly")]
    public bool LeaseIdOnly { get; set; }

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
