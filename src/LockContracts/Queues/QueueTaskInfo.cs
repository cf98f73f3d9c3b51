namespace LockService;

/// <summary>One task as <see cref="IWorkQueueGrain.List"/> shows it. Lease ids are never shown.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="Status">Its status now (an expired claim shows as pending).</param>
/// <param name="Payload">Its payload.</param>
/// <param name="Key">Its idempotency key, if any.</param>
/// <param name="Attempts">How many times it was claimed since it was enqueued or retried.</param>
/// <param name="ClaimToken">The token of its last claim (0 if never claimed).</param>
/// <param name="Worker">The worker of its last claim, or <see langword="null"/> if never claimed.</param>
/// <param name="ExpiresAt">When the current claim ends, while claimed; otherwise <see langword="null"/>.</param>
/// <param name="LastError">The error of its last abandon or expiry, if any.</param>
[GenerateSerializer, Immutable, Alias("LockService.QueueTaskInfo")]
public sealed record QueueTaskInfo(
    [property: Id(0)] string TaskId,
    [property: Id(1)] QueueTaskStatus Status,
    [property: Id(2)] string Payload,
    [property: Id(3)] string? Key,
    [property: Id(4)] int Attempts,
    [property: Id(5)] long ClaimToken,
    [property: Id(6)] string? Worker,
    [property: Id(7)] DateTimeOffset? ExpiresAt,
    [property: Id(8)] string? LastError);

/// <summary>One page of <see cref="IWorkQueueGrain.List"/>.</summary>
/// <param name="Tasks">The tasks, in id order.</param>
/// <param name="Next">The <c>after</c> argument for the next page, or <see langword="null"/> when this was the last.</param>
[GenerateSerializer, Immutable, Alias("LockService.QueueTaskPage")]
public sealed record QueueTaskPage(
    [property: Id(0)] IReadOnlyList<QueueTaskInfo> Tasks,
    [property: Id(1)] string? Next);
