using Microsoft.Extensions.Time.Testing;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// The fake lock clock of a test cluster. Besides moving time forward (<see cref="FakeTimeProvider.Advance"/>, which
/// moves the wall clock and the monotonic clock together), a test can step the wall clock alone, as an NTP correction,
/// a VM's clock resync or an administrator steps a real system clock: <see cref="GetUtcNow"/> jumps, while
/// <see cref="GetTimestamp"/> (the monotonic clock, what elapsed) does not.
/// </summary>
public sealed class LockTestClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    // Ticks the wall clock has been stepped by in all; read by silo threads, written by the test.
    private long _steppedTicks;

    /// <summary>The wall clock: the fake time plus every step so far.</summary>
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _steppedTicks));

    /// <summary>The monotonic clock: only <see cref="FakeTimeProvider.Advance"/> moves it, never a step.</summary>
    /// <remarks>In ticks, since the fake provider's <see cref="FakeTimeProvider.TimestampFrequency"/> is ticks per second.</remarks>
    public override long GetTimestamp() => base.GetUtcNow().UtcTicks;

    /// <summary>Steps the wall clock by <paramref name="by"/> (forward or back) without any time elapsing.</summary>
    public void StepSystemClock(TimeSpan by) => Interlocked.Add(ref _steppedTicks, by.Ticks);
}
