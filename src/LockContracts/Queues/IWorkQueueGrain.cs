using Orleans;
using Orleans.Concurrency;

namespace LockService;

/// <summary>
/// One work queue, keyed by its name: the queue's directory. Tasks are enqueued and claimed here; a claim is a lease
/// (client-made lease id, stored only as its hash) with a claim token that fences the worker's own writes. The task
/// operations of a claim (<see cref="IWorkQueueSegmentGrain.Complete"/>, <see cref="IWorkQueueSegmentGrain.Abandon"/>,
/// <see cref="IWorkQueueSegmentGrain.Extend"/>) go straight to the segment that holds the task:
/// <see cref="WorkQueueTaskIds.SegmentOf(IGrainFactory, string, string)"/> finds it from the task id.
/// </summary>
/// <remarks>
/// Every claim is durable before it is returned and a storage conflict fails closed. Processing is at-least-once (a
/// claim that expires returns its task to the queue), and a task is completed once: only its current lease completes it.
/// Invalid arguments throw <see cref="ArgumentException"/> naming the rule (see <see cref="QueueArguments"/>).
/// </remarks>
[Alias("LockService.IWorkQueueGrain")]
public interface IWorkQueueGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds <paramref name="tasks"/> (1 to <see cref="QueueArguments.MaxBatchSize"/>) to the back of the queue, durably
    /// before it returns, and returns their task ids in the same order. A task whose key is already known to the queue
    /// (see <see cref="NewTask.Key"/>) is not added again: its existing id is returned, so a retried enqueue adds nothing.
    /// </summary>
    [Alias("Enqueue")]
    Task<IReadOnlyList<string>> Enqueue(IReadOnlyList<NewTask> tasks);

    /// <summary>
    /// Claims the oldest pending task for <paramref name="worker"/> under the lease <paramref name="leaseId"/> (made by
    /// the client with <see cref="LeaseIds.New"/>, one per claim) for <paramref name="leaseTtl"/>. When none is pending,
    /// waits first come, first served for at most <paramref name="wait"/> (0: do not wait) and is handed the next task
    /// that arrives or returns. Asking again with the same lease id while its claim is valid returns the same claim
    /// (a retry after a lost answer never takes a second task).
    /// </summary>
    /// <returns>The claimed task, durable before it is returned; <see langword="null"/> when none came within the wait.</returns>
    /// <exception cref="LockQueueFullException">The queue already has as many waiting claimers as the silo allows.</exception>
    [Alias("Claim")]
    [AlwaysInterleave]
    [ResponseTimeout("00:35:00")]
    Task<ClaimedTask?> Claim(string worker, string leaseId, TimeSpan leaseTtl, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>
    /// Withdraws the claim attempt of <paramref name="leaseId"/>, for a claimer that gave up (a cancelled long poll, an
    /// HTTP client that disconnected): a claim call of it that is waiting leaves the queue of claimers and returns
    /// nothing, and a task claimed under it (whose answer may have been lost) is pending again at once, its attempt not
    /// counted. A claim being made for it right now is waited for and then given back. Idempotent: asking again finds
    /// nothing and changes nothing.
    /// </summary>
    /// <returns><see langword="true"/> when a waiting claim call or a claimed task was withdrawn; <see langword="false"/> when the lease had neither.</returns>
    /// <exception cref="ArgumentException">The lease id is malformed.</exception>
    [Alias("Withdraw")]
    [AlwaysInterleave]
    Task<bool> Withdraw(string leaseId);

    /// <summary>Counts of the queue's tasks by status and the completed count per worker (the tasks ever completed in this queue).</summary>
    [Alias("Stats")]
    Task<QueueStats> Stats();

    /// <summary>
    /// One page of the queue's tasks in id order (oldest first), with their payloads: those with
    /// <paramref name="status"/> (all when <see langword="null"/>), after the task id <paramref name="after"/> (from the
    /// start when <see langword="null"/>), at most <paramref name="limit"/> (1 to <see cref="QueueArguments.MaxPageSize"/>).
    /// Writes nothing. Completed tasks whose segment has retired are no longer listed (their payloads are gone).
    /// </summary>
    [Alias("List")]
    Task<QueueTaskPage> List(QueueTaskStatus? status, string? after, int limit);

    /// <summary>
    /// Operator: brings the dead task <paramref name="taskId"/> back to pending (at the back of its segment's order, with
    /// a fresh attempt count; its claim tokens go on growing). Returns the task as it is now.
    /// </summary>
    /// <exception cref="ArgumentException">The task id is malformed or unknown, or the task is not dead.</exception>
    [Alias("Retry")]
    Task<QueueTaskInfo> Retry(string taskId);

    /// <summary>
    /// Operator: removes every task of the queue (pending, claimed, done and dead); claims still out are refused from
    /// then on (their task is unknown). Task ids are never reused. Returns how many tasks it removed.
    /// </summary>
    [Alias("Purge")]
    Task<long> Purge();
}
