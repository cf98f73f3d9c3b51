namespace LockService.Tests.Contracts;

/// <summary>The one duration syntax of lockctl and the HTTP API: what it reads, what it refuses, and what messages print.</summary>
public sealed class DurationsTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("250ms", 250)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1.5", 1_500)]
    [InlineData(" 5m ", 300_000)]
    public void TryParse_reads_the_crontab_forms(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("-5s")]
    [InlineData("5 minutes")]
    [InlineData("s")]
    [InlineData("NaN")]
    public void TryParse_refuses_what_is_not_a_non_negative_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(0, "0ms")]
    [InlineData(250, "250ms")]
    [InlineData(2_970, "3s")]
    [InlineData(2_940, "2.9s")]
    [InlineData(30_000, "30s")]
    [InlineData(300_000, "5m")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(183_600_000, "2d3h")]
    public void Describe_names_its_unit(long milliseconds, string expected) =>
        Assert.Equal(expected, Durations.Describe(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData(250)]
    [InlineData(30_000)]
    [InlineData(5_430_000)]
    [InlineData(183_600_000)]
    public void What_Describe_prints_reads_back_as_the_same_duration(long milliseconds)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);
        Assert.True(Durations.TryParse(Durations.Describe(duration), out var read));
        Assert.Equal(duration, read);
    }
}
