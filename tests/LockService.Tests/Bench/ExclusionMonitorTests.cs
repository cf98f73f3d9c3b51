using LockService.Bench.Reporting;
using LockService.Bench.Scenarios;

namespace LockService.Tests.Bench;

/// <summary>The benchmark's exclusion monitor must see a second holder and a fencing token that does not rise, and either fails the run.</summary>
public sealed class ExclusionMonitorTests
{
    [Fact]
    public async Task Two_holders_whose_holds_run_at_the_same_time_are_an_overlap()
    {
        var monitor = new ExclusionMonitor();

        // Two clients that both (wrongly) got the lock: the hold is long enough that the second enters while the first holds.
        await Task.WhenAll(monitor.HoldAsync(0, fencingToken: 1), monitor.HoldAsync(0, fencingToken: 2));

        Assert.Equal(1, monitor.Overlaps);
        Assert.Equal(0, monitor.TokenRegressions);
    }

    [Fact]
    public async Task A_grant_whose_fencing_token_did_not_rise_is_counted_per_lock()
    {
        var monitor = new ExclusionMonitor(locks: 2);

        await monitor.HoldAsync(0, fencingToken: 5);
        await monitor.HoldAsync(1, fencingToken: 1); // another lock's tokens are its own
        await monitor.HoldAsync(0, fencingToken: 6);
        await monitor.HoldAsync(0, fencingToken: 6); // the same token granted again
        await monitor.HoldAsync(0, fencingToken: 4); // a smaller one

        Assert.Equal(2, monitor.TokenRegressions);
        Assert.Equal(0, monitor.Overlaps);
    }

    [Fact]
    public async Task Peers_without_fencing_tokens_are_judged_on_overlaps_only()
    {
        var monitor = new ExclusionMonitor();

        await monitor.HoldAsync(0, fencingToken: null);
        await monitor.HoldAsync(0, fencingToken: null);

        Assert.Equal(0, monitor.TokenRegressions + monitor.Overlaps);
    }

    [Fact]
    public async Task A_token_that_did_not_rise_fails_the_run()
    {
        var monitor = new ExclusionMonitor();
        await monitor.HoldAsync(0, fencingToken: 3);
        await monitor.HoldAsync(0, fencingToken: 2);
        var results = new BenchResults();

        results.CheckExclusion("c", "orleans-1", monitor);

        Assert.Equal(1, results.Get("c", "orleans-1", "token_regressions"));
        Assert.Equal(0, results.Get("c", "orleans-1", "overlaps"));
        Assert.Contains(results.Failures, f => f.Contains("FENCING VIOLATED", StringComparison.Ordinal));
    }
}
