using Orleans;

namespace LockService;

/// <summary>
/// One segment of a work queue (at most a few hundred tasks), keyed by <see cref="WorkQueueTaskIds.SegmentKey"/>. The
/// operations of a claim address it directly, so they never pass through the queue's directory; get it with
/// <see cref="WorkQueueTaskIds.SegmentOf(IGrainFactory, string, string)"/>.
/// </summary>
/// <remarks>
/// Expiry is judged on every call from the stored lease and the silo's clock: a claim whose lease ended is not the
/// current lease any more, even before its task is claimed again. Every change is durable before it is returned.
/// </remarks>
[Alias("LockService.IWorkQueueSegmentGrain")]
public interface IWorkQueueSegmentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Marks the task done. Succeeds only for its current, valid lease; asking again with the same lease after it
    /// succeeded succeeds again (a retry after a lost answer), and changes nothing.
    /// </summary>
    /// <exception cref="TaskLeaseLostException">The lease is not the task's current valid lease (expired, abandoned, or the task was claimed again): nothing changed.</exception>
    /// <exception cref="ArgumentException">The task id or lease id is malformed, or the task is unknown (never enqueued, or purged).</exception>
    [Alias("Complete")]
    Task Complete(string taskId, string leaseId);

    /// <summary>
    /// Gives the task back: it is pending again at once (the attempt counts), or dead with <paramref name="error"/> as
    /// its last error when it has used its attempts. Returns <see langword="false"/> and changes nothing when the lease
    /// is not the task's current lease any more (expired, or already abandoned), so disposing a lost claim is harmless.
    /// </summary>
    /// <param name="taskId">The task.</param>
    /// <param name="leaseId">The claim's lease id.</param>
    /// <param name="error">Why the worker gave up, at most <see cref="QueueArguments.MaxErrorLength"/> characters; kept as the task's last error.</param>
    [Alias("Abandon")]
    Task<bool> Abandon(string taskId, string leaseId, string? error);

    /// <summary>
    /// Extends the valid claim to <paramref name="leaseTtl"/> from now and returns its new expiry (silo clock). A lease that
    /// already ended is not revived.
    /// </summary>
    /// <exception cref="TaskLeaseLostException">The lease is not the task's current valid lease: nothing changed.</exception>
    [Alias("Extend")]
    Task<DateTimeOffset> Extend(string taskId, string leaseId, TimeSpan leaseTtl);
}
