namespace LockService.Silo.Chaos;

/// <summary>
/// The system clock shifted by a fixed offset: how the chaos suite gives one silo a skewed lock clock, to measure
/// what skew does to lease exclusivity (and to show that fencing tokens keep the protected resource safe anyway).
/// </summary>
internal sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
