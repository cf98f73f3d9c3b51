namespace LockService;

/// <summary>
/// A task operation (complete, extend) presented a lease that is not the task's current valid lease: it expired (and
/// the task may have been claimed again), was abandoned, or never claimed this task. Nothing changed. The worker has
/// lost the task: it must not report it done; another claim may be processing it.
/// </summary>
[GenerateSerializer, Alias("LockService.TaskLeaseLostException")]
public sealed class TaskLeaseLostException : Exception
{
    /// <summary>Creates the exception; the message names the queue, the task and why the lease is not current.</summary>
    public TaskLeaseLostException(string queueName, string taskId, string reason)
        : base($"Queue '{queueName}', task '{taskId}': this lease is not the task's current claim ({reason}). Nothing changed; the task is not yours any more, so do not report it done.")
    {
        QueueName = queueName;
        TaskId = taskId;
        Reason = reason;
    }

    /// <summary>The queue's name.</summary>
    [Id(0)]
    public string QueueName { get; }

    /// <summary>The task's id.</summary>
    [Id(1)]
    public string TaskId { get; }

    /// <summary>Why the lease is not current (for example "the claim expired", "the task was claimed again").</summary>
    [Id(2)]
    public string Reason { get; }
}
