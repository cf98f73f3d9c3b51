namespace LockService;

/// <summary>The counts of one work queue, from <see cref="IWorkQueueGrain.Stats"/>.</summary>
/// <param name="QueueName">The queue's name.</param>
/// <param name="Pending">Tasks waiting to be claimed (including those whose claim expired).</param>
/// <param name="Claimed">Tasks under a valid claim.</param>
/// <param name="Done">Tasks completed, ever (since the last purge).</param>
/// <param name="Dead">Tasks that used up their attempts.</param>
/// <param name="WaitingClaimers">Claim calls waiting for a task right now.</param>
/// <param name="CompletedByWorker">How many tasks each worker completed (since the last purge).</param>
[GenerateSerializer, Immutable, Alias("LockService.QueueStats")]
public sealed record QueueStats(
    [property: Id(0)] string QueueName,
    [property: Id(1)] long Pending,
    [property: Id(2)] long Claimed,
    [property: Id(3)] long Done,
    [property: Id(4)] long Dead,
    [property: Id(5)] int WaitingClaimers,
    [property: Id(6)] IReadOnlyDictionary<string, long> CompletedByWorker);
