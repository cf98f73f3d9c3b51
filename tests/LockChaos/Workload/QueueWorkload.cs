namespace LockService.Chaos.Workload;

/// <summary>
/// The chaos suite's work-queue workload: queue worker processes (<see cref="QueueWorker"/>) working off one queue
/// while the runner keeps enqueuing tasks (<see cref="QueueProducer"/>) for the test's duration, then drains it; the
/// workers' logs and the queue's counts are judged by <see cref="QueueWorkerLogs"/>.
/// </summary>
public sealed record QueueWorkload
{
    /// <summary>The queue the workload uses (each test has a database of its own).</summary>
    public string Queue { get; init; } = "chaos-queue";

    /// <summary>Worker processes working at once; a killed one is replaced by a new incarnation under a new name.</summary>
    public int Workers { get; init; } = 6;

    /// <summary>Each claim's lease length.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>How long one task's work takes, in milliseconds (<c>MIN-MAX</c>).</summary>
    public string WorkMs { get; init; } = "0-50";

    /// <summary>How often (in percent) the work fails and the worker abandons the task.</summary>
    public int FailurePercent { get; init; } = 2;

    /// <summary>Tasks per enqueue.</summary>
    public int BatchSize { get; init; } = 5;

    /// <summary>Time between enqueues while the test runs.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the workers may take, after the faults stop, to finish every task before the check runs anyway.</summary>
    public TimeSpan DrainDeadline { get; init; } = TimeSpan.FromMinutes(5);
}
