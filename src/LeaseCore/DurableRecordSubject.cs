namespace LockService.Leases;

/// <summary>How a <see cref="DurableRecord{TState}"/>'s errors name what it stores, and tell the caller to retry.</summary>
/// <param name="Name">The record's name in messages, e.g. <c>Lock 'backup'</c>.</param>
/// <param name="RetryHint">The last sentence of a failed write's message, e.g. <c>Retry with the same owner.</c></param>
internal sealed record DurableRecordSubject(string Name, string RetryHint);
