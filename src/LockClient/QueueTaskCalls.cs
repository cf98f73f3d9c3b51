namespace LockService.Client;

/// <summary>
/// The calls of one claim on its task: complete, abandon and extend, sent straight to the segment grain that holds the
/// task, always with the claim's lease id. A class, not a record, so that no generated <c>ToString</c> ever prints the
/// lease id into a log.
/// </summary>
internal sealed class QueueTaskCalls
{
    private readonly IWorkQueueSegmentGrain _segment;
    private readonly string _leaseId;

    public QueueTaskCalls(LockProvider provider, string queueName, string taskId, string leaseId)
    {
        _segment = provider.SegmentGrain(queueName, taskId);
        _leaseId = leaseId;
        QueueName = queueName;
        TaskId = taskId;
    }

    public string QueueName { get; }

    public string TaskId { get; }

    /// <exception cref="TaskLeaseLostException">Not the task's current claim any more.</exception>
    public Task CompleteAsync() => _segment.Complete(TaskId, _leaseId);

    /// <summary>False when the claim was not current any more (nothing changed).</summary>
    public Task<bool> AbandonAsync(string? error) => _segment.Abandon(TaskId, _leaseId, error);

    /// <exception cref="TaskLeaseLostException">Not the task's current claim any more.</exception>
    public Task<DateTimeOffset> ExtendAsync(TimeSpan leaseTtl) => _segment.Extend(TaskId, _leaseId, leaseTtl);
}
