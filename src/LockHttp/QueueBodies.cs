namespace LockService.Http;

/// <summary>The body of <c>POST /v1/queues/{queue}/tasks</c>: 1 to 1,000 tasks, enqueued in order.</summary>
/// <param name="Tasks">The tasks.</param>
public sealed record EnqueueRequest(IReadOnlyList<EnqueueTask>? Tasks);

/// <summary>One task to enqueue.</summary>
/// <param name="Payload">What the worker gets: text, 1 byte to 64 KiB of UTF-8.</param>
/// <param name="Key">Optional idempotency key: enqueuing the same key again returns the existing task's id.</param>
public sealed record EnqueueTask(string? Payload, string? Key = null);

/// <summary>The answer to an enqueue: the task ids, in the order of the request's tasks.</summary>
public sealed record EnqueueResponse(IReadOnlyList<string> TaskIds);

/// <summary>The body of <c>POST /v1/queues/{queue}/claim</c>.</summary>
/// <param name="Worker">Who claims (a label, shown in stats and listings).</param>
/// <param name="LeaseTtl">How long the claim lasts unless extended, e.g. <c>"60s"</c>.</param>
/// <param name="Wait">How long to wait for a task when none is pending, at most <c>"55s"</c>; none or <c>"0s"</c>: do not wait.</param>
/// <param name="LeaseId">The claim's lease id (22 to 128 URL-safe characters); made by the server when omitted. Send the same one to retry.</param>
public sealed record ClaimRequest(string? Worker, string? LeaseTtl, string? Wait = null, string? LeaseId = null);

/// <summary>A claimed task: valid until <paramref name="ExpiresAt"/> unless extended.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="Payload">The task's payload.</param>
/// <param name="ClaimToken">The claim's fencing token: it grows with every claim of this task.</param>
/// <param name="LeaseId">The claim's lease id: present it to complete, abandon and extend.</param>
/// <param name="ExpiresAt">When the claim ends unless extended (RFC 3339, UTC).</param>
/// <param name="Attempt">Which attempt this is, from 1.</param>
/// <param name="Key">The task's idempotency key, if it has one.</param>
public sealed record ClaimResponse(string TaskId, string Payload, long ClaimToken, string LeaseId, DateTime ExpiresAt, int Attempt, string? Key);

/// <summary>The body of <c>.../complete</c>: the claim's lease id.</summary>
public sealed record CompleteRequest(string? LeaseId);

/// <summary>The answer to a completion: the task is done.</summary>
public sealed record CompleteResponse(string TaskId, bool Completed);

/// <summary>The body of <c>.../abandon</c>: the claim's lease id and, optionally, why (at most 2,048 characters).</summary>
public sealed record AbandonRequest(string? LeaseId, string? Error = null);

/// <summary>The answer to an abandon: false when the lease was not the task's current claim any more (nothing changed).</summary>
public sealed record AbandonResponse(string TaskId, bool Abandoned);

/// <summary>The body of <c>.../extend</c>: the claim's lease id and its new length from now.</summary>
public sealed record ExtendRequest(string? LeaseId, string? LeaseTtl);

/// <summary>The answer to an extension: the claim's new end (RFC 3339, UTC).</summary>
public sealed record ExtendResponse(string TaskId, DateTime ExpiresAt);

/// <summary>The counts of a queue (<c>GET /v1/queues/{queue}/stats</c>).</summary>
public sealed record QueueStatsResponse(
    string Queue,
    long Pending,
    long Claimed,
    long Done,
    long Dead,
    int WaitingClaimers,
    IReadOnlyDictionary<string, long> CompletedByWorker);

/// <summary>One task in a listing; lease ids are never shown.</summary>
public sealed record QueueTaskView(
    string TaskId,
    string Status,
    string Payload,
    string? Key,
    int Attempts,
    long ClaimToken,
    string? Worker,
    DateTime? ExpiresAt,
    string? LastError);

/// <summary>One page of a listing; <paramref name="Next"/> is the <c>after</c> of the next page, null on the last.</summary>
public sealed record QueueTaskPageResponse(IReadOnlyList<QueueTaskView> Tasks, string? Next);

/// <summary>The answer to a purge: how many tasks were removed.</summary>
public sealed record PurgeResponse(string Queue, long Purged);
