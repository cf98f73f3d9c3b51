using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// What a waiting scenario ((d) on a lock, (f) on a semaphore) keeps per peer over its windows: grants per client,
/// handoffs, how often the releaser got it straight back, waits that timed out, and the exclusion monitor.
/// </summary>
internal sealed class WaitFigures(int clients, ExclusionMonitor monitor)
{
    public long Regained;
    public long Timeouts;

    public LatencyRecorder Handoffs { get; } = new();

    public ExclusionMonitor Monitor => monitor;

    public long[] Grants { get; } = new long[clients];

    public double Seconds { get; set; }

    /// <summary>Writes grants/s, handoff p50/p99, the releaser's regains, the fairness figures and the exclusion check.</summary>
    public void Report(string scenario, string peer, BenchResults results)
    {
        var total = Grants.Sum();
        var mean = (double)total / Grants.Length;
        results.Set(scenario, peer, "grants", total);
        results.Set(scenario, peer, "grants_per_s", total / Seconds);
        results.Set(scenario, peer, "handoff_p50_ms", Handoffs.PercentileMs(50));
        results.Set(scenario, peer, "handoff_p99_ms", Handoffs.PercentileMs(99));
        results.Set(scenario, peer, "regained_pct", Handoffs.Count == 0 ? double.NaN : 100.0 * Regained / Handoffs.Count);
        results.Set(scenario, peer, "min_grants_per_client", Grants.Min());
        results.Set(scenario, peer, "max_grants_per_client", Grants.Max());
        results.Set(scenario, peer, "mean_grants_per_client", mean);
        results.Set(scenario, peer, "min_to_mean", mean == 0 ? double.NaN : Grants.Min() / mean);
        results.Set(scenario, peer, "wait_timeouts", Timeouts);
        results.CheckExclusion(scenario, peer, Monitor);
    }
}
