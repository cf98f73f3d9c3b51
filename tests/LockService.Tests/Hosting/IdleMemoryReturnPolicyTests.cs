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

    [Fact]
    public void A_wave_that_slows_down_and_goes_on_is_collected_again_once_its_tail_has_stopped()
    {
        var policy = new IdleMemoryReturnPolicy();
        Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize * 5));
        Assert.True(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 10 - 1), "slowed down: collect what is gone");
        for (var interval = 0; interval < 10; interval++)
        {
            Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 20), "the tail still runs");
        }

        Assert.True(policy.ShouldCollect(0), "the tail has stopped: collect it too");
        for (var interval = 0; interval < 100; interval++)
        {
            Assert.False(policy.ShouldCollect(interval % 2 == 0 ? 0 : IdleMemoryReturnPolicy.WaveSize / 20), "then back to steady use");
        }
    }

    [Fact]
    public void A_wave_that_stops_at_once_is_collected_only_once()
    {
        var policy = new IdleMemoryReturnPolicy();
        Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize * 2));
        Assert.True(policy.ShouldCollect(0));
        Assert.False(policy.ShouldCollect(0));
        Assert.False(policy.ShouldCollect(IdleMemoryReturnPolicy.WaveSize / 20));
        Assert.False(policy.ShouldCollect(0));
    }
}
