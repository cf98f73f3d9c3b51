namespace LockService.Leases;

/// <summary>How a <see cref="DurableRecord{TState}"/>'s errors name what it stores, and tell the caller to retry.</summary>
/// <remarks>
/// Every activation makes one, but its name is needed only for a failure's message or log line, so the grain form
/// keeps the kind and the grain id it already has and puts the name together only when asked: a held lock does not
/// carry a message string of its own (issue 13's follow-up on memory per held lock).
/// </remarks>
internal sealed class DurableRecordSubject
{
    private readonly string? _name;
    private readonly string? _kind;
    private readonly GrainId _grainId;

    /// <summary>A subject with a fixed name.</summary>
    /// <param name="name">The record's name in messages, e.g. <c>Lock 'backup'</c>.</param>
    /// <param name="retryHint">The last sentence of a failed write's message, e.g. <c>Retry with the same owner.</c></param>
    public DurableRecordSubject(string name, string retryHint)
    {
        _name = name;
        RetryHint = retryHint;
    }

    /// <summary>A subject named <c>{kind} '{key of grainId}'</c>, put together only when a message needs it.</summary>
    public DurableRecordSubject(string kind, GrainId grainId, string retryHint)
    {
        _kind = kind;
        _grainId = grainId;
        RetryHint = retryHint;
    }

    /// <summary>The record's name in messages, e.g. <c>Lock 'backup'</c>.</summary>
    public string Name => _name ?? $"{_kind} '{_grainId.Key}'";

    /// <summary>The last sentence of a failed write's message.</summary>
    public string RetryHint { get; }

    public override string ToString() => Name;
}
