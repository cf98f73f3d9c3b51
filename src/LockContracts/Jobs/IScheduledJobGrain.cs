using Orleans;
using Orleans.Concurrency;

namespace LockService;

/// <summary>
/// One scheduled job, keyed by its name: decides, by the silo's own clock, which cron tick is due and grants one run
/// lease per tick, so every tick runs on exactly one node however far apart the nodes' clocks are. Node clocks only
/// decide when a node asks (at its local tick, at start, after a refused ask); skew can delay a run, never repeat one.
/// </summary>
/// <remarks>
/// A run is a lease like a lock's: a client-made lease id (stored only as its SHA-256 hash), a fencing token that grows
/// per job name and is never reused, expiry judged on every call, every grant durable before it is returned, a storage
/// conflict fails closed. Invalid arguments throw <see cref="ArgumentException"/> naming the rule
/// (see <see cref="JobArguments"/>).
/// </remarks>
[Alias("LockService.IScheduledJobGrain")]
public interface IScheduledJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Agrees on the schedule: the first registration stores it (version 1); registering the same schedule again returns
    /// it; registering another throws <see cref="JobScheduleMismatchException"/> naming both and changes nothing.
    /// </summary>
    [Alias("Register")]
    Task<JobDescription> Register(JobSchedule schedule);

    /// <summary>
    /// Asks to run the latest tick T ≤ now (silo clock). Grants a run lease for T (<see cref="JobRunOutcome.Started"/>)
    /// when T is unclaimed and no run is live (or <see cref="JobSchedule.AllowOverlap"/>); otherwise refuses with the
    /// reason and, where waiting helps, how long to wait (relative, so the node waits on its own monotonic clock).
    /// Asking again with the same <paramref name="leaseId"/> while its run is live returns the same grant.
    /// </summary>
    /// <param name="node">Who asks, a label for people (history, refusals).</param>
    /// <param name="leaseId">The client-made lease id of the run, at least 128 random bits (<see cref="LeaseIds"/>).</param>
    /// <param name="scheduleHash">The <see cref="JobSchedule.Hash"/> the node runs with; another than the stored one throws <see cref="JobScheduleMismatchException"/>.</param>
    /// <param name="runTtl">The run lease's time to live; the node keeps it alive with <see cref="RefreshRun"/>.</param>
    /// <param name="expectedTick">
    /// The tick the node believes is due by its own clock, if it knows one. A tick later than the silo's latest tick is
    /// answered <see cref="JobRunOutcome.NotDue"/> with the wait; it never makes a tick due early.
    /// </param>
    [Alias("TryStartRun")]
    Task<JobRunResult> TryStartRun(string node, string leaseId, string scheduleHash, TimeSpan runTtl, DateTimeOffset? expectedTick = null);

    /// <summary>
    /// Extends the live run <paramref name="leaseId"/>, never past its start plus <see cref="JobSchedule.MaxRunTime"/>;
    /// <see cref="JobRunOutcome.NotHolder"/> when the run's lease is no longer valid.
    /// </summary>
    [Alias("RefreshRun")]
    Task<JobRunResult> RefreshRun(string leaseId, TimeSpan runTtl);

    /// <summary>Ends the run <paramref name="leaseId"/> and records how it ended; idempotent.</summary>
    [Alias("FinishRun")]
    Task<JobRunResult> FinishRun(string leaseId, JobRunStatus status, string? message = null);

    /// <summary>Operator: replaces the stored schedule (a new version and hash); nodes with the old hash are refused.</summary>
    [Alias("SetSchedule")]
    Task<JobDescription> SetSchedule(JobSchedule schedule);

    /// <summary>Reads the job's schedule, live runs and its last runs (newest first) without writing anything.</summary>
    [Alias("Describe")]
    [ReadOnly]
    Task<JobDescription> Describe();
}
