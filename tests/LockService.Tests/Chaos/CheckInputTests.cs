using LockService.Chaos.History;

namespace LockService.Tests.Chaos;

/// <summary>A kept history can be judged again: what the checker needs besides it survives the trip through a file.</summary>
public sealed class CheckInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("check-input-").FullName;

    [Fact]
    public async Task The_final_state_and_the_tests_rules_read_back_as_written()
    {
        var final = new FinalState(
            new Dictionary<string, long> { ["chaos-0"] = 7, ["chaos-1"] = 3 },
            [("chaos-0", 1, 5), ("chaos-0", 2, 7)],
            new Dictionary<string, long> { ["chaos-0"] = 12 });
        await new CheckInput(final, TimeSpan.FromSeconds(8), MeasureC3: true).WriteAsync(_folder);

        var read = CheckInput.Read(_folder);

        Assert.Equal(TimeSpan.FromSeconds(8), read.RecoveryBound);
        Assert.True(read.MeasureC3);
        Assert.Equal(final.StoredTokens, read.Final.StoredTokens);
        Assert.Equal(final.FencedLog, read.Final.FencedLog);
        Assert.Equal(final.Counters, read.Final.Counters);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
