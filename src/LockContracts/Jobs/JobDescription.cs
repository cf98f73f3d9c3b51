namespace LockService;

/// <summary>What an <see cref="IScheduledJobGrain"/> knows, for <c>lockctl jobs</c>, HTTP and the admin page.</summary>
/// <param name="JobName">The job's name.</param>
/// <param name="Schedule">The stored schedule, or <see langword="null"/> before the first registration.</param>
/// <param name="ScheduleVersion">1 for the first registration, +1 per <see cref="IScheduledJobGrain.SetSchedule"/>; 0 before it.</param>
/// <param name="ScheduleHash">The stored schedule's <see cref="JobSchedule.Hash"/>, or <see langword="null"/>.</param>
/// <param name="LastClaimedTick">The latest tick that was run, skipped or missed, or <see langword="null"/>.</param>
/// <param name="NextTick">The next tick after now by the silo's clock, or <see langword="null"/> when none or no schedule.</param>
/// <param name="FencingToken">The last fencing token granted (0 if never).</param>
/// <param name="LiveRuns">Runs whose lease is valid now.</param>
/// <param name="History">The last runs, newest first (at most <see cref="JobArguments.HistoryLength"/>).</param>
/// <param name="Now">The silo's clock when it answered.</param>
[GenerateSerializer, Immutable, Alias("LockService.JobDescription")]
public sealed record JobDescription(
    [property: Id(0)] string JobName,
    [property: Id(1)] JobSchedule? Schedule,
    [property: Id(2)] int ScheduleVersion,
    [property: Id(3)] string? ScheduleHash,
    [property: Id(4)] DateTimeOffset? LastClaimedTick,
    [property: Id(5)] DateTimeOffset? NextTick,
    [property: Id(6)] long FencingToken,
    [property: Id(7)] IReadOnlyList<JobRun> LiveRuns,
    [property: Id(8)] IReadOnlyList<JobRun> History,
    [property: Id(9)] DateTimeOffset Now);

/// <summary>One tick's run (or why it did not run), as kept in the job's history. Never holds a lease id.</summary>
/// <param name="Tick">The cron tick (UTC).</param>
/// <param name="Node">The node that ran it; <see langword="null"/> for ticks nobody ran (missed, or skipped by overlap before anyone asked).</param>
/// <param name="FencingToken">The run's fencing token (0 when it did not run).</param>
/// <param name="StartedAt">When the run's lease was granted (silo clock), or <see langword="null"/>.</param>
/// <param name="EndedAt">When it ended (finished, expired, recorded as skipped or missed), or <see langword="null"/> while live.</param>
/// <param name="Status">How it ended, or <see cref="JobRunStatus.Running"/>.</param>
/// <param name="Message">The node's message when it finished (e.g. an exit code or an error), truncated; or the reason it did not run.</param>
[GenerateSerializer, Immutable, Alias("LockService.JobRun")]
public sealed record JobRun(
    [property: Id(0)] DateTimeOffset Tick,
    [property: Id(1)] string? Node,
    [property: Id(2)] long FencingToken,
    [property: Id(3)] DateTimeOffset? StartedAt,
    [property: Id(4)] DateTimeOffset? EndedAt,
    [property: Id(5)] JobRunStatus Status,
    [property: Id(6)] string? Message);

/// <summary>How a run ended.</summary>
[GenerateSerializer, Alias("LockService.JobRunStatus")]
public enum JobRunStatus
{
    /// <summary>The run's lease is live.</summary>
    Running = 1,

    /// <summary>The node reported success.</summary>
    Succeeded = 2,

    /// <summary>The node reported failure (non-zero exit, exception).</summary>
    Failed = 3,

    /// <summary>The run's lease expired without a finish (the node died or lost contact) or reached MaxRunTime.</summary>
    Expired = 4,

    /// <summary>The tick found an earlier run live and overlap is not allowed.</summary>
    SkippedOverlap = 5,

    /// <summary>Nobody claimed the tick in time (nodes or cluster down) and the misfire policy did not run it.</summary>
    Missed = 6,

    /// <summary>The run was cancelled by its node (shutdown) or because it reached MaxRunTime.</summary>
    Cancelled = 7,
}
