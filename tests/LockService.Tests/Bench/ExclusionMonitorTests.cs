using LockService.Bench.Reporting;
using LockService.Bench.Scenarios;

namespace LockService.Tests.Bench;

/// <summary>The benchmark's exclusion monitor must see a second holder and a fencing token that does not rise, and either fails the run.</summary>
public sealed class ExclusionMonitorTests
{
    [Fact]
    public void Two_holders_whose_holds_run_at_the_same_time_are_an_overlap()
    {
        var monitor = new ExclusionMonitor();

        // Two clients that both (wrongly) got the lock: the second enters while the first holds. Entered and exited
        // explicitly: two HoldAsync calls would overlap only if the machine ran the second within the first's 200 µs.
        monitor.Enter(0, fencingToken: 1);
        monitor.Enter(0, fencingToken: 2);
        monitor.Exit(0);
        monitor.Exit(0);

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

    [Fact]
    public void A_semaphore_held_by_as_many_clients_as_its_limit_is_no_overlap_and_one_more_is()
    {
        var atLimit = new ExclusionMonitor(maxHolders: 4);
        var beyond = new ExclusionMonitor(maxHolders: 4);

        HoldTogether(atLimit, 4);
        HoldTogether(beyond, 5);

        Assert.Equal(0, atLimit.Overlaps);
        Assert.Equal(1, beyond.Overlaps);
    }

    [Fact]
    public void A_slot_held_by_two_clients_at_once_is_an_overlap_below_the_limit()
    {
        var monitor = new ExclusionMonitor(maxHolders: 4);

        monitor.Enter(0, fencingToken: 1, slot: 2);
        monitor.Enter(0, fencingToken: 2, slot: 2);
        monitor.Enter(0, fencingToken: 3, slot: 0);
        monitor.Exit(0, slot: 2);
        monitor.Exit(0, slot: 2);
        monitor.Exit(0, slot: 0);
        monitor.Enter(0, fencingToken: 4, slot: 2); // the slot is free again

        Assert.Equal(1, monitor.Overlaps);
        Assert.Equal(0, monitor.TokenRegressions);
    }

    [Fact]
    public async Task A_semaphores_tokens_are_judged_per_slot()
    {
        var monitor = new ExclusionMonitor(maxHolders: 4);

        await monitor.HoldAsync(0, fencingToken: 5, slot: 0);
        await monitor.HoldAsync(0, fencingToken: 3, slot: 1); // granted earlier, answered later: another slot's own order
        await monitor.HoldAsync(0, fencingToken: 6, slot: 1);
        await monitor.HoldAsync(0, fencingToken: 4, slot: 0); // went backwards in slot 0

        Assert.Equal(1, monitor.TokenRegressions);
        Assert.Equal(0, monitor.Overlaps);
    }

    [Fact]
    public void A_slot_outside_the_limit_stops_the_peer()
    {
        var monitor = new ExclusionMonitor(maxHolders: 4);

        var exception = Assert.Throws<InvalidOperationException>(() => monitor.Enter(0, fencingToken: 1, slot: 4));

        Assert.Contains("outside 0..3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_holders_than_a_semaphores_limit_fails_the_run()
    {
        var monitor = new ExclusionMonitor(maxHolders: 2);
        HoldTogether(monitor, 3);
        var results = new BenchResults();

        results.CheckExclusion("f", "redis", monitor);

        Assert.Equal(1, results.Get("f", "redis", "overlaps"));
        Assert.Contains(results.Failures, f => f.Contains("SEMAPHORE LIMIT VIOLATED: 1 times more than 2 clients", StringComparison.Ordinal));
    }

    /// <summary>Holders that all enter before any of them exits, as concurrent holders of a semaphore do.</summary>
    private static void HoldTogether(ExclusionMonitor monitor, int holders)
    {
        for (var i = 0; i < holders; i++)
        {
            monitor.Enter(0);
        }

        for (var i = 0; i < holders; i++)
        {
            monitor.Exit(0);
        }
    }
}
