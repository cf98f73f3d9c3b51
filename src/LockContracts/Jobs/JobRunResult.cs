namespace LockService;

/// <summary>The answer to a run call on an <see cref="IScheduledJobGrain"/>.</summary>
/// <param name="Outcome">What the call did.</param>
/// <param name="JobName">The job's name.</param>
/// <param name="Tick">The tick the answer is about: the one granted, or the one refused (already run, running, not due).</param>
/// <param name="FencingToken">The run's fencing token while it holds one; otherwise the last token granted for this job (0 if never).</param>
/// <param name="ExpiresAt">When the run's lease ends unless refreshed (silo clock), or <see langword="null"/> when not held.</param>
/// <param name="RunDeadline">When the run must end (start plus MaxRunTime), or <see langword="null"/> when there is none or nothing is held.</param>
/// <param name="RetryAfter">How long to wait before asking again (relative, for the node's monotonic clock), or <see langword="null"/>.</param>
/// <param name="Reason">Why, for people: <c>ran 2026-12-04T10:00:00Z on node-2</c>, <c>running on node-1</c>, <c>not due, retry in 12 s</c>.</param>
/// <param name="OtherNode">The node that ran or runs the tick, when refused for that reason.</param>
[GenerateSerializer, Immutable, Alias("LockService.JobRunResult")]
public sealed record JobRunResult(
    [property: Id(0)] JobRunOutcome Outcome,
    [property: Id(1)] string JobName,
    [property: Id(2)] DateTimeOffset? Tick,
    [property: Id(3)] long FencingToken,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] DateTimeOffset? RunDeadline,
    [property: Id(6)] TimeSpan? RetryAfter,
    [property: Id(7)] string Reason,
    [property: Id(8)] string? OtherNode)
{
    /// <summary>The caller holds the run's lease after this call.</summary>
    public bool Holds => Outcome is JobRunOutcome.Started or JobRunOutcome.Renewed;
}

/// <summary>What a run call did.</summary>
[GenerateSerializer, Alias("LockService.JobRunOutcome")]
public enum JobRunOutcome
{
    /// <summary>A run lease for <see cref="JobRunResult.Tick"/> was granted with a new fencing token.</summary>
    Started = 1,

    /// <summary>The caller's run was live; its lease was extended (or the same grant returned to a retry).</summary>
    Renewed = 2,

    /// <summary>The tick was already run (or skipped, or missed) ; <see cref="JobRunResult.RetryAfter"/> says when the next one is due.</summary>
    AlreadyRan = 3,

    /// <summary>The tick found an earlier run still live and overlap is not allowed; the tick is recorded as skipped.</summary>
    Running = 4,

    /// <summary>The tick the node expected is not due by the silo's clock; wait <see cref="JobRunResult.RetryAfter"/> and ask again.</summary>
    NotDue = 5,

    /// <summary>The caller's run lease is not valid (expired, past MaxRunTime, finished or unknown); nothing changed.</summary>
    NotHolder = 6,

    /// <summary>The run was finished and recorded.</summary>
    Finished = 7,

    /// <summary>The run had already been finished (or had expired and been recorded); nothing changed.</summary>
    AlreadyFinished = 8,
}
