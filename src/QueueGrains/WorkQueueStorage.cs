using LockService.Leases;

namespace LockService.Queues;

/// <summary>
/// Where work queues are stored: the lock's storage provider, under state names of their own. ADO.NET grain storage
/// keys a row by key, state name and service id, not by grain type, so a lock, a semaphore and a queue of the same
/// name (and a lock named like a segment, <c>q/seg-0</c>) keep separate rows only because these names differ.
/// </summary>
public static class WorkQueueStorage
{
    /// <summary>The state name of a queue's directory record (its live segments and retired counts).</summary>
    public const string DirectoryStateName = "workqueue";

    /// <summary>The state name of a segment's payloads: written when tasks are appended, never by a claim.</summary>
    public const string PayloadsStateName = "workqueue-payloads";

    /// <summary>The state name of a segment's leases: the small record every claim, completion and abandon rewrites.</summary>
    public const string LeasesStateName = "workqueue-leases";

    /// <summary>The storage id of the directory of <paramref name="queueName"/>.</summary>
    public static GrainId DirectoryKeyFor(string queueName) => StorageKeys.For("workqueue", queueName);

    /// <summary>The storage id of the segment keyed <paramref name="segmentKey"/> (<see cref="WorkQueueTaskIds.SegmentKey"/>).</summary>
    public static GrainId SegmentKeyFor(string segmentKey) => StorageKeys.For("workqueue-segment", segmentKey);
}
