using System.Text.Json.Serialization;

namespace LockService.Queues;

/// <summary>
/// The payloads of one segment, in task order (the task at index i has id <c>{segment}-{i}</c>). Written only when
/// tasks are appended, and emptied when the segment retires (every task done) or is purged; claims never rewrite it.
/// The JSON names are the stored contract.
/// </summary>
public sealed class SegmentPayloads
{
    /// <summary>The tasks appended so far.</summary>
    [JsonPropertyName("tasks")]
    public List<StoredTask> Tasks { get; set; } = [];

    /// <summary>The segment's capacity, fixed by its first append (the directory's setting then).</summary>
    [JsonPropertyName("capacity")]
    public int Capacity { get; set; }

    /// <summary>How many tasks the segment ever held: still known after its payloads were dropped at retirement.</summary>
    [JsonPropertyName("count")]
    public int Count { get; set; }

    /// <summary>Every task was done and the payloads are gone; the leases remain, so late calls are still answered.</summary>
    [JsonPropertyName("retired")]
    public bool Retired { get; set; }

    /// <summary>An operator purged the queue: every task of this segment is unknown from then on.</summary>
    [JsonPropertyName("purged")]
    public bool Purged { get; set; }

    /// <summary>Full: the directory appends to a newer segment.</summary>
    [JsonIgnore]
    public bool IsFull => Capacity > 0 && Count >= Capacity;

    public SegmentPayloads Copy() => new() { Tasks = [.. Tasks], Capacity = Capacity, Count = Count, Retired = Retired, Purged = Purged };
}

/// <summary>One stored task.</summary>
/// <param name="Payload">What the worker gets.</param>
/// <param name="Key">Its idempotency key, if any.</param>
public sealed record StoredTask(
    [property: JsonPropertyName("p")] string Payload,
    [property: JsonPropertyName("k"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key);
