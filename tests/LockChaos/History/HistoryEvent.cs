using System.Text.Json.Serialization;

namespace LockService.Chaos.History;

/// <summary>
/// One line of a history file: an operation's invocation or its completion, as the process that made it saw it.
/// <see cref="T"/> is CLOCK_MONOTONIC in nanoseconds (what <see cref="System.Diagnostics.Stopwatch"/> reads on Linux),
/// which every process on the machine shares, so histories from different processes can be merged on it.
/// </summary>
public sealed record HistoryEvent
{
    [JsonPropertyName("client")] public required string Client { get; init; }

    /// <summary>Sequence number of the operation within its client; pairs an invoke with its completion.</summary>
    [JsonPropertyName("id")] public long Id { get; init; }

    /// <summary><c>acquire</c>, <c>refresh</c>, <c>release</c>, <c>fenced-write</c>, <c>counter</c>, <c>lost</c> or <c>fault</c>.</summary>
    [JsonPropertyName("op")] public required string Op { get; init; }

    /// <summary><c>invoke</c>, <c>ok</c>, <c>fail</c> (definitely did not happen) or <c>unknown</c>.</summary>
    [JsonPropertyName("phase")] public required string Phase { get; init; }

    /// <summary>The lock's name, or the semaphore's (then <see cref="Max"/> is set on its acquires).</summary>
    [JsonPropertyName("lock")] public string? Lock { get; init; }

    /// <summary>On a semaphore's acquire invoke: its limit, the most holders it may have at once. Absent for a lock (one).</summary>
    [JsonPropertyName("max")] public int? Max { get; init; }

    /// <summary>
    /// A semaphore lease's slot: on an acquire's answer, and on the invokes made under that lease (a fenced write goes
    /// to the slot's own resource). Absent for a lock.
    /// </summary>
    [JsonPropertyName("slot")] public int? Slot { get; init; }

    [JsonPropertyName("owner")] public string? Owner { get; init; }

    [JsonPropertyName("token")] public long? Token { get; init; }

    [JsonPropertyName("ttl")] public double? TtlMs { get; init; }

    [JsonPropertyName("t")] public long T { get; init; }

    [JsonPropertyName("detail")] public string? Detail { get; init; }

    /// <summary>On a workload invoke: <c>handle</c> if it went through the client library's lock handle, else absent (raw grain calls).</summary>
    [JsonPropertyName("api")] public string? Api { get; init; }

    /// <summary>On a fault: the client process it hit (<c>c3</c>, whose workers are <c>c3-0</c>, ...), if it hit one.</summary>
    [JsonPropertyName("target")] public string? Target { get; init; }

    public static class Ops
    {
        public const string Acquire = "acquire";
        public const string Refresh = "refresh";
        public const string Release = "release";
        public const string FencedWrite = "fenced-write";
        public const string Counter = "counter";
        public const string Fault = "fault";

        /// <summary>A lock handle's <c>HandleLostToken</c> fired: from here on its holder no longer believes it holds the lock.</summary>
        public const string Lost = "lost";
    }

    /// <summary>Values of <see cref="Api"/>.</summary>
    public static class Apis
    {
        public const string Handle = "handle";
    }

    public static class Phases
    {
        public const string Invoke = "invoke";
        public const string Ok = "ok";
        public const string Fail = "fail";
        public const string Unknown = "unknown";
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryEvent))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
