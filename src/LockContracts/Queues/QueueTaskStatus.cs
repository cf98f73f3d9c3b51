namespace LockService;

/// <summary>Where a work-queue task is in its life.</summary>
[GenerateSerializer, Alias("LockService.QueueTaskStatus")]
public enum QueueTaskStatus
{
    /// <summary>Waiting to be claimed (new, returned by an expired or abandoned claim, or retried).</summary>
    Pending = 1,

    /// <summary>Claimed under a valid lease.</summary>
    Claimed = 2,

    /// <summary>Completed by its current lease; final.</summary>
    Done = 3,

    /// <summary>Gave up after the maximum number of attempts; <see cref="IWorkQueueGrain.Retry"/> brings it back.</summary>
    Dead = 4,
}
