using Orleans.Concurrency;

namespace LockService.Queues;

/// <summary>
/// What a queue's directory asks of its segments (silo-internal: clients use <see cref="IWorkQueueSegmentGrain"/> and
/// <see cref="IWorkQueueGrain"/>). Lease ids arrive hashed: the segment never sees them.
/// </summary>
[Alias("LockService.Queues.IQueueSegment")]
public interface IQueueSegment : IGrainWithStringKey
{
    /// <summary>Appends as many of <paramref name="tasks"/> as fit (a new segment takes <paramref name="capacity"/>), durably.</summary>
    [Alias("Append")]
    Task<SegmentAppend> Append(IReadOnlyList<NewTask> tasks, int capacity);

    /// <summary>Claims the lowest pending task, durably; the lease's existing valid claim if it has one here; none if nothing is pending.</summary>
    [Alias("Claim")]
    Task<SegmentClaim> Claim(string worker, string leaseIdHash, TimeSpan leaseTtl);

    /// <summary>
    /// Gives back the task the lease with this hash holds here (its claimer withdrew): pending again at once, durably,
    /// its attempt not counted; its claim token stays, so the next claim's is still larger. False, changing nothing,
    /// when the lease holds no valid claim here.
    /// </summary>
    [Alias("Release")]
    Task<bool> Release(string leaseIdHash);

    /// <summary>The valid claim of the lease with this hash here, if any (a retried claim); writes nothing.</summary>
    [Alias("FindClaim")]
    Task<ClaimedTask?> FindClaim(string leaseIdHash);

    /// <summary>Counts, keys and claims out, for the directory's view; writes nothing.</summary>
    [Alias("Summarize")]
    Task<SegmentSummary> Summarize();

    /// <summary>The tasks after <paramref name="afterIndex"/> (−1: from the start) with <paramref name="status"/>, at most <paramref name="limit"/>.</summary>
    [Alias("List")]
    Task<IReadOnlyList<QueueTaskInfo>> List(QueueTaskStatus? status, int afterIndex, int limit);

    /// <summary>Brings the dead task at <paramref name="index"/> back to pending with a fresh attempt count.</summary>
    [Alias("Retry")]
    Task<QueueTaskInfo> Retry(int index);

    /// <summary>Drops the payloads of a full segment whose every task is done; its leases stay. False if it is not drained.</summary>
    [Alias("Retire")]
    Task<bool> Retire();

    /// <summary>Forgets every task of the segment (an operator's purge of the queue); returns how many it held.</summary>
    [Alias("Purge")]
    Task<int> Purge();
}

/// <summary>What a queue's segments tell its directory (silo-internal).</summary>
[Alias("LockService.Queues.IQueueDirectory")]
public interface IQueueDirectory : IGrainWithStringKey
{
    /// <summary>
    /// Segment <paramref name="segment"/> now has <paramref name="pending"/> pending tasks (a claim expired or was
    /// abandoned) and its next claim ends at <paramref name="nextExpiry"/>, or is <paramref name="drained"/> (full and
    /// every task done: it can retire).
    /// </summary>
    [Alias("SegmentChanged")]
    [OneWay]
    Task SegmentChanged(long segment, int pending, DateTimeOffset? nextExpiry, bool drained);
}

/// <summary>The answer to <see cref="IQueueSegment.Append"/>.</summary>
/// <param name="FirstIndex">The index of the first task appended.</param>
/// <param name="Accepted">How many of the tasks were appended (the rest did not fit).</param>
/// <param name="Full">The segment is full now.</param>
[GenerateSerializer, Immutable, Alias("LockService.Queues.SegmentAppend")]
public sealed record SegmentAppend([property: Id(0)] int FirstIndex, [property: Id(1)] int Accepted, [property: Id(2)] bool Full);

/// <summary>The answer to <see cref="IQueueSegment.Claim"/>.</summary>
/// <param name="Task">The durable claim, or <see langword="null"/> when nothing was pending.</param>
/// <param name="PendingLeft">How many tasks are pending in the segment after it.</param>
/// <param name="NextExpiry">When the segment's earliest claim still out ends, if any: its task is pending from then on.</param>
[GenerateSerializer, Immutable, Alias("LockService.Queues.SegmentClaim")]
public sealed record SegmentClaim([property: Id(0)] ClaimedTask? Task, [property: Id(1)] int PendingLeft, [property: Id(2)] DateTimeOffset? NextExpiry);

/// <summary>One segment as its directory sees it.</summary>
[GenerateSerializer, Immutable, Alias("LockService.Queues.SegmentSummary")]
public sealed record SegmentSummary(
    [property: Id(0)] int Pending,
    [property: Id(1)] int Claimed,
    [property: Id(2)] int Done,
    [property: Id(3)] int Dead,
    [property: Id(4)] bool Full,
    [property: Id(5)] bool Drained,
    [property: Id(6)] bool Gone,
    [property: Id(7)] IReadOnlyDictionary<string, long> CompletedByWorker,
    [property: Id(8)] IReadOnlyList<KeyValuePair<string, int>> Keys,
    [property: Id(9)] IReadOnlyList<SegmentClaimOut> ClaimsOut,
    [property: Id(10)] DateTimeOffset? NextExpiry);

/// <summary>A claim out in a segment: the lease's hash and its task, so the directory finds a retried claim.</summary>
[GenerateSerializer, Immutable, Alias("LockService.Queues.SegmentClaimOut")]
public sealed record SegmentClaimOut([property: Id(0)] string LeaseIdHash, [property: Id(1)] int Index, [property: Id(2)] DateTimeOffset ExpiresAt);
