namespace LockService;

/// <summary>A task claimed with <see cref="IWorkQueueGrain.Claim"/>: the claim is durable and valid until <see cref="ExpiresAt"/> unless extended.</summary>
/// <param name="TaskId">The task's id (names its segment; see <see cref="WorkQueueTaskIds"/>).</param>
/// <param name="Payload">The task's payload.</param>
/// <param name="ClaimToken">
/// The claim's fencing token: it grows with every claim of this task and never repeats, across restarts. Present it
/// with the worker's writes, and have the target reject a token lower than the highest it has seen for this task.
/// </param>
/// <param name="ExpiresAt">When the claim ends unless extended (silo clock); the task is then returned to the queue.</param>
/// <param name="Attempt">Which attempt this is, from 1; the task goes dead after the silo's maximum.</param>
/// <param name="Key">The task's idempotency key, if it was enqueued with one.</param>
[GenerateSerializer, Immutable, Alias("LockService.ClaimedTask")]
public sealed record ClaimedTask(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string Payload,
    [property: Id(2)] long ClaimToken,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] int Attempt,
    [property: Id(5)] string? Key = null);
