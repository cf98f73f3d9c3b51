using Cronos;

namespace LockService;

/// <summary>
/// The rules for scheduled jobs: names, nodes and schedules. The silo enforces them on every call; the client library
/// and lockctl check them early so a mistake is reported before any network hop, with Cronos's own message for a bad
/// cron expression.
/// </summary>
public static class JobArguments
{
    /// <summary>How many runs a job keeps in its history (newest first).</summary>
    public const int HistoryLength = 50;

    /// <summary>Longest accepted <see cref="JobRun.Message"/>; longer messages are cut to this.</summary>
    public const int MaxMessageLength = 512;

    /// <summary>Longest accepted cron expression, in characters.</summary>
    public const int MaxCronLength = 256;

    /// <summary>The finest schedule accepted: one tick a second (Cronos's seconds field).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the broken rule when <paramref name="name"/> is not a valid job name.</summary>
    public static void ValidateName(string? name) => LockArguments.ValidateIdentifier(name, "job name", "name");

    /// <summary>Throws <see cref="ArgumentException"/> naming the broken rule when <paramref name="node"/> is not a valid node label.</summary>
    public static void ValidateNode(string? node) => LockArguments.ValidateIdentifier(node, "node", "node");

    /// <summary>
    /// Parses a cron expression: five fields (minutes) or six (the first is seconds), as Cronos reads them.
    /// Throws <see cref="ArgumentException"/> with Cronos's message when it is not valid.
    /// </summary>
    public static CronExpression ParseCron(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            throw new ArgumentException("Invalid cron: the cron expression must not be empty.", nameof(cron));
        }

        if (cron.Length > MaxCronLength)
        {
            throw new ArgumentException($"Invalid cron: the cron expression must be at most {MaxCronLength} characters (was {cron.Length}).", nameof(cron));
        }

        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var format = fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        try
        {
            return CronExpression.Parse(cron.Trim(), format);
        }
        catch (CronFormatException e)
        {
            throw new ArgumentException($"Invalid cron '{cron}': {e.Message} (five fields: minute hour day-of-month month day-of-week; six: seconds first).", nameof(cron), e);
        }
    }

    /// <summary>Finds the time zone <paramref name="timeZone"/> (IANA or Windows id); throws <see cref="ArgumentException"/> naming it when unknown.</summary>
    public static TimeZoneInfo FindTimeZone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            throw new ArgumentException("Invalid time zone: it must not be empty (use \"UTC\" or an IANA id such as \"Europe/Berlin\").", nameof(timeZone));
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"Invalid time zone '{timeZone}': this machine knows no such zone (use an IANA id such as \"Europe/Berlin\", or \"UTC\").", nameof(timeZone), e);
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the broken rule unless <paramref name="schedule"/> is valid: a cron
    /// expression Cronos reads, a known time zone, a positive MaxRunTime and misfire threshold.
    /// </summary>
    public static void ValidateSchedule(JobSchedule? schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ParseCron(schedule.Cron);
        FindTimeZone(schedule.TimeZone);
        if (!Enum.IsDefined(schedule.Misfire))
        {
            throw new ArgumentException($"Invalid misfire policy {(int)schedule.Misfire}: use RunOnce or Skip.", nameof(schedule));
        }

        if (schedule.MaxRunTime is { } maxRunTime && maxRunTime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(schedule), maxRunTime, $"Invalid MaxRunTime: it must be positive (was {maxRunTime}).");
        }

        if (schedule.MisfireThreshold is { } threshold && threshold <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(schedule), threshold, $"Invalid MisfireThreshold: it must be positive (was {threshold}).");
        }
    }
}
