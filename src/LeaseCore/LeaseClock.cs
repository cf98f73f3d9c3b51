using Microsoft.Extensions.Logging;

namespace LockService.Leases;

/// <summary>
/// The time by which one activation of a lease primitive judges and stamps its leases: the lock clock (wall time, so a
/// stored <c>ExpiresAt</c> means the same to every silo that loads it), except that while a lease runs it never gets
/// ahead of the time that has really elapsed (the clock's monotonic timestamps).
/// </summary>
/// <remarks>
/// <para>Why. A holder measures its lease on its own monotonic clock, from when it sent the call that granted or
/// renewed it. A wall clock can be stepped forward at any moment (an NTP correction, a VM's clock resync, an
/// administrator); judged by it alone, every running lease ends early by the size of the step, and the lock is
/// granted again while its holder still rightly believes it holds it. The chaos suite's crash-after-write run of
/// 2026-12-03 met a step of about 7.4 s on both live silos at once: every 3 s lease ended on the spot, and one lock
/// was granted to a second holder 154 ms before the first let go.</para>
/// <para>How. The clock follows the wall clock and remembers one reading of it with its timestamp (the anchor). A wall
/// clock read ahead of the anchor plus the time elapsed since has been stepped forward. While any lease runs by the
/// elapsed time, the step is held back: running leases keep their full length, and leases granted or renewed meanwhile
/// are stamped in the same held-back time, so they keep theirs too. Once no lease runs and no write is in flight (so
/// none is about to), the clock catches up with the wall clock. A backward step is followed at once: it only lengthens
/// running leases, as it always did, and delays the next grant; it never doubles one.</para>
/// <para>What it cannot cover: a new activation (after a failover, or a reactivation) knows only the stored
/// <c>ExpiresAt</c> and its own wall clock, so a lease that ran across a forward step and then moved to another
/// activation before it ended is shortened there by the step (or by what of it was still held back).</para>
/// </remarks>
internal sealed partial class LeaseClock
{
    // Smaller lags are not worth a log line: reading two clocks one after the other is not atomic anyway.
    private static readonly TimeSpan NotableStep = TimeSpan.FromMilliseconds(100);

    // A step holds back the clock of every activation with a running lease; the silo warns once per interval.
    private static readonly long WarningIntervalMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
    private static long s_lastWarningMs = long.MinValue;

    private readonly TimeProvider _clock;
    private readonly Func<DateTimeOffset, bool> _mayCatchUpAt;
    private readonly DurableRecordSubject _subject;
    private readonly ILogger _logger;

    // The last wall clock reading the clock followed, and the timestamp taken with it.
    private DateTimeOffset _anchorTime;
    private long _anchorTimestamp;
    private bool _anchored;
    private bool _stepReported;

    /// <summary>
    /// A lease clock on <paramref name="clock"/>. <paramref name="mayCatchUpAt"/> tells whether the clock may jump to
    /// the wall clock from the held-back time it is given: true only when no lease runs at that time and no write is
    /// in flight.
    /// </summary>
    public LeaseClock(TimeProvider clock, Func<DateTimeOffset, bool> mayCatchUpAt, DurableRecordSubject subject, ILogger logger)
    {
        _clock = clock;
        _mayCatchUpAt = mayCatchUpAt;
        _subject = subject;
        _logger = logger;
    }

    /// <summary>The time to judge and stamp leases by, now.</summary>
    public DateTimeOffset Now()
    {
        // The wall clock first: a timestamp taken after it can only make the elapsed time larger, never fake a step.
        var wall = _clock.GetUtcNow();
        var timestamp = _clock.GetTimestamp();
        if (_anchored)
        {
            var elapsed = _anchorTime + _clock.GetElapsedTime(_anchorTimestamp, timestamp);
            if (wall > elapsed)
            {
                if (!_mayCatchUpAt(elapsed))
                {
                    ReportHeldBack(wall - elapsed);
                    return elapsed;
                }

                if (wall - elapsed >= NotableStep)
                {
                    LogCaughtUp(_subject.Name, wall - elapsed);
                }
            }
        }

        _anchorTime = wall;
        _anchorTimestamp = timestamp;
        _anchored = true;
        _stepReported = false;
        return wall;
    }

    private void ReportHeldBack(TimeSpan step)
    {
        if (_stepReported || step < NotableStep)
        {
            return;
        }

        _stepReported = true;
        var nowMs = Environment.TickCount64;
        var last = Interlocked.Read(ref s_lastWarningMs);
        if ((last == long.MinValue || nowMs - last >= WarningIntervalMs) && Interlocked.CompareExchange(ref s_lastWarningMs, nowMs, last) == last)
        {
            LogStepHeldBack(_subject.Name, step);
        }
        else
        {
            LogStepHeldBackQuietly(_subject.Name, step);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: the system clock is {Step} ahead of the time that has elapsed (it was stepped forward); running leases keep their full length on the monotonic clock, and this silo's leases follow the system clock again as each lock and semaphore becomes free. Further steps are logged at Debug for a minute.")]
    private partial void LogStepHeldBack(string subject, TimeSpan step);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: the system clock is {Step} ahead of the time that has elapsed; running leases keep their full length.")]
    private partial void LogStepHeldBackQuietly(string subject, TimeSpan step);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: no lease runs any more; the lease clock caught up {Step} with the system clock.")]
    private partial void LogCaughtUp(string subject, TimeSpan step);
}
