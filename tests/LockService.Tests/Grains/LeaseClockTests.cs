using LockService.Leases;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Tests.Grains;

/// <summary>
/// The lease clock's rule on its own (the grains' use of it on PostgreSQL is in <see cref="ClockStepTests"/>): a
/// forward step of the wall clock is held back for as long as the grain says leases run or a write is in flight, and
/// the grain is asked at the held-back time, the one its leases are stamped in.
/// </summary>
public sealed class LeaseClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_forward_step_is_held_back_until_the_grain_lets_the_clock_catch_up()
    {
        var clock = new LockTestClock(Start);
        var mayCatchUp = false;
        var askedAt = new List<DateTimeOffset>();
        var leases = new LeaseClock(clock, at => { askedAt.Add(at); return mayCatchUp; }, new DurableRecordSubject("Lock 'lease-clock'", "Retry."), NullLogger.Instance);
        Assert.Equal(Start, leases.Now());

        clock.Advance(TimeSpan.FromSeconds(1));
        clock.StepSystemClock(TimeSpan.FromSeconds(30));
        Assert.Equal(Start.AddSeconds(1), leases.Now());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddSeconds(2), leases.Now());
        Assert.Equal(new[] { Start.AddSeconds(1), Start.AddSeconds(2) }, askedAt);

        mayCatchUp = true;
        Assert.Equal(Start.AddSeconds(32), leases.Now());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddSeconds(33), leases.Now());
    }

    [Fact]
    public void Without_a_step_and_after_a_backward_one_the_clock_is_the_wall_clock_and_never_asks_the_grain()
    {
        var clock = new LockTestClock(Start);
        var leases = new LeaseClock(clock, _ => throw new InvalidOperationException("asked without a forward step"), new DurableRecordSubject("Lock 'lease-clock'", "Retry."), NullLogger.Instance);
        Assert.Equal(Start, leases.Now());
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(Start.AddSeconds(5), leases.Now());

        clock.StepSystemClock(TimeSpan.FromSeconds(-30));
        Assert.Equal(Start.AddSeconds(-25), leases.Now());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddSeconds(-24), leases.Now());
    }
}
