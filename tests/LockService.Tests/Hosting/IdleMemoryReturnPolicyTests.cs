using LockService.Silo;

namespace LockService.Tests.Hosting;

/// <summary>When the silo spends a full collection on giving memory back: only after a large wave of deactivations.</summary>
public sealed class IdleMemoryReturnPolicyTests
{
    [Fact]
    public void A_silo_in_steady_use_never_collects()
    {
        var policy = new IdleMemoryReturnPolicy();
        for (var minute = 0; minute < 1_000; minute++)
        {
            Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 20));
        }
    }

    [Fact]
    public void A_large_wave_is_collected_once_when_it_has_died_down()
    {
        var policy = new IdleMemoryReturnPolicy();
        Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize * 3), "still deactivating: wait");
        Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize), "still deactivating: wait");
        Assert.True(policy.ShouldCollect(0));
        Assert.False(policy.ShouldCollect(0), "one collection per wave");
    }

    [Fact]
    public void A_wave_spread_over_several_minutes_counts_as_one()
    {
        var policy = new IdleMemoryReturnPolicy();
        for (var minute = 0; minute < 20; minute++)
        {
            Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 10));
        }

        Assert.True(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 10 - 1));
    }
}
