namespace LockService;

/// <summary>
/// A node registered (or ran with) a schedule other than the one the job has stored. Nothing changed. Every node of one
/// job must agree on its schedule, or "each tick once" means nothing; an operator changes it with
/// <see cref="IScheduledJobGrain.SetSchedule"/> (<c>lockctl jobs set-schedule</c>).
/// </summary>
[GenerateSerializer, Alias("LockService.JobScheduleMismatchException")]
public sealed class JobScheduleMismatchException : Exception
{
    /// <summary>Creates the exception; the message names the job and both schedules.</summary>
    public JobScheduleMismatchException(string jobName, string storedSchedule, string requestedSchedule)
        : base($"Job '{jobName}' has the schedule {storedSchedule}; this node asked for {requestedSchedule}. Every node of one job must use the same schedule (an operator changes it with 'lockctl jobs set-schedule').")
    {
        JobName = jobName;
        StoredSchedule = storedSchedule;
        RequestedSchedule = requestedSchedule;
    }

    /// <summary>The job's name.</summary>
    [Id(0)]
    public string JobName { get; }

    /// <summary>The stored schedule, as people read it.</summary>
    [Id(1)]
    public string StoredSchedule { get; }

    /// <summary>The schedule the node asked for (or its hash when it only presented one).</summary>
    [Id(2)]
    public string RequestedSchedule { get; }
}
