using LockService.Grains;

namespace LockService.Tests.Semaphores;

/// <summary>The silo's cap on semaphore limits is a validated setting, like every other lock grain setting.</summary>
public sealed class MaxSemaphoreCountOptionTests
{
    [Fact]
    public void The_default_cap_is_the_contract_default_and_valid()
    {
        var options = new LockGrainOptions();
        Assert.Equal(SemaphoreArguments.DefaultMaxCountCap, options.MaxSemaphoreCount);
        Assert.True(new LockGrainOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public void A_cap_out_of_range_is_refused_naming_the_setting(int cap)
    {
        var result = new LockGrainOptionsValidator().Validate(null, new LockGrainOptions { MaxSemaphoreCount = cap });

        Assert.True(result.Failed);
        Assert.Contains($"MaxSemaphoreCount must be from 1 to 1,000,000 (was {cap})", result.FailureMessage);
    }
}
