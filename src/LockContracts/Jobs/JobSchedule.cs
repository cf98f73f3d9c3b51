using System.Security.Cryptography;
using System.Text;

namespace LockService;

/// <summary>
/// When a job runs and how ticks that nobody ran, or that find the previous run still going, are treated. Every node of
/// one job must use the same schedule: the grain stores the first one registered and refuses another
/// (<see cref="JobScheduleMismatchException"/>).
/// </summary>
/// <param name="Cron">
/// A cron expression as Cronos 0.13.0 reads it: five fields (minute precision) or six (the first is seconds).
/// </param>
/// <param name="TimeZone">An IANA (or Windows) time zone id the expression is read in; "UTC" by default.</param>
/// <param name="Misfire">What to do with ticks nobody claimed while nodes or the cluster were down.</param>
/// <param name="MisfireThreshold">
/// How late a missed tick may still be caught up under <see cref="JobMisfirePolicy.RunOnce"/>; <see langword="null"/>
/// means one interval of the schedule.
/// </param>
/// <param name="AllowOverlap">Whether a tick may start while an earlier run is still live (default: it is skipped and recorded).</param>
/// <param name="MaxRunTime">
/// The longest a run may hold its lease (ShedLock's lockAtMostFor): refreshes never extend it further, and the client
/// cancels the run's token when it is reached. <see langword="null"/>: no limit beyond the lease's own keep-alive.
/// </param>
[GenerateSerializer, Immutable, Alias("LockService.JobSchedule")]
public sealed record JobSchedule(
    [property: Id(0)] string Cron,
    [property: Id(1)] string TimeZone = "UTC",
    [property: Id(2)] JobMisfirePolicy Misfire = JobMisfirePolicy.RunOnce,
    [property: Id(3)] TimeSpan? MisfireThreshold = null,
    [property: Id(4)] bool AllowOverlap = false,
    [property: Id(5)] TimeSpan? MaxRunTime = null)
{
    /// <summary>
    /// A short, stable digest of every field, which nodes present on each run so a node still running an old schedule
    /// (after <c>lockctl jobs set-schedule</c>) is refused instead of running to the wrong clock.
    /// </summary>
    public string Hash
    {
        get
        {
            var canonical = string.Join('\n',
                Cron.Trim(),
                TimeZone.Trim(),
                Misfire.ToString(),
                MisfireThreshold?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                AllowOverlap ? "overlap" : "no-overlap",
                MaxRunTime?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
            return Convert.ToHexStringLower(digest.AsSpan(0, 8));
        }
    }

    /// <summary>The schedule as people read it, e.g. <c>"0 * * * *" in Europe/Berlin</c>.</summary>
    public string Describe() => $"\"{Cron}\" in {TimeZone}";
}

/// <summary>What happens to ticks nobody claimed (Quartz's misfire instructions, Hangfire's MisfireHandlingMode).</summary>
[GenerateSerializer, Alias("LockService.JobMisfirePolicy")]
public enum JobMisfirePolicy
{
    /// <summary>One catch-up run for the latest missed tick, if it is no older than the misfire threshold (the default).</summary>
    RunOnce = 1,

    /// <summary>Missed ticks are recorded as missed and not run; the next run is the next tick.</summary>
    Skip = 2,
}
