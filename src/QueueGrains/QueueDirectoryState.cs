using System.Text.Json.Serialization;

namespace LockService.Queues;

/// <summary>
/// The durable record of one queue's directory: small, whatever the queue's length (a number per live segment, and a
/// count per worker). Written only when a segment opens, retires, or the queue is purged, never by a claim. The JSON
/// names are the stored contract.
/// </summary>
public sealed class QueueDirectoryState
{
    /// <summary>The number the next segment gets. Never goes down, so no segment number (and no task id) is reused.</summary>
    [JsonPropertyName("nextSegment")]
    public long NextSegment { get; set; }

    /// <summary>The live segments, oldest first; the last one takes new tasks until it is full.</summary>
    [JsonPropertyName("segments")]
    public List<long> Segments { get; set; } = [];

    /// <summary>Tasks completed in retired segments (since the last purge).</summary>
    [JsonPropertyName("retiredDone")]
    public long RetiredDone { get; set; }

    /// <summary>Per worker, tasks completed in retired segments (since the last purge).</summary>
    [JsonPropertyName("retiredByWorker")]
    public Dictionary<string, long> RetiredByWorker { get; set; } = new(StringComparer.Ordinal);

    public QueueDirectoryState Copy() => new()
    {
        NextSegment = NextSegment,
        Segments = [.. Segments],
        RetiredDone = RetiredDone,
        RetiredByWorker = new Dictionary<string, long>(RetiredByWorker, StringComparer.Ordinal),
    };
}
