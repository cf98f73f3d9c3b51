using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (d) 32 clients each acquiring one name with waiting, holding 1 ms, releasing, again and again: grants per second,
/// handoff latency (from just before a release to the next holder's grant returning), how often the releaser gets
/// the lock straight back, and the fewest and most grants per client.
/// </summary>
internal static class HotWait
{
    public const string Id = "d";

    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(IBenchLock peer, ScenarioSettings settings, BenchResults results)
    {
        var name = $"bench-d-{peer.Name}";
        var monitor = new ExclusionMonitor();
        var handoffs = new LatencyRecorder();
        var grants = new long[settings.Clients];
        long regained = 0, timeouts = 0;

        // Written by the holder just before it releases, read by the next holder once granted: both inside the lock,
        // so (as long as the lock works) one writer at a time and every reader sees the previous holder's values.
        long lastReleaseAt = 0;
        var lastReleaser = -1;

        var measureFrom = Stopwatch.GetTimestamp() + ToTicks(settings.Warmup);
        var measureUntil = measureFrom + ToTicks(settings.Duration);

        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < measureUntil)
            {
                var handle = await peer.AcquireAsync(name, settings.Ttl, WaitTimeout);
                var grantedAt = Stopwatch.GetTimestamp();
                if (handle is null)
                {
                    Interlocked.Increment(ref timeouts);
                    continue;
                }

                monitor.Enter();
                var measured = grantedAt >= measureFrom && grantedAt < measureUntil;
                var previousRelease = Volatile.Read(ref lastReleaseAt);
                if (measured && previousRelease >= measureFrom)
                {
                    handoffs.Add(grantedAt - previousRelease);
                    if (Volatile.Read(ref lastReleaser) == client)
                    {
                        Interlocked.Increment(ref regained);
                    }
                }

                if (measured)
                {
                    grants[client]++;
                    await PreciseDelay.Shared.WaitAsync(settings.Hold);
                }

                Volatile.Write(ref lastReleaser, client);
                Volatile.Write(ref lastReleaseAt, Stopwatch.GetTimestamp());
                monitor.Exit();
                await handle.ReleaseAsync();
            }
        })));

        var total = grants.Sum();
        var mean = (double)total / grants.Length;
        results.Set(Id, peer.Name, "grants_per_s", total / settings.Duration.TotalSeconds);
        results.Set(Id, peer.Name, "handoff_p50_ms", handoffs.PercentileMs(50));
        results.Set(Id, peer.Name, "handoff_p99_ms", handoffs.PercentileMs(99));
        results.Set(Id, peer.Name, "regained_pct", handoffs.Count == 0 ? double.NaN : 100.0 * regained / handoffs.Count);
        results.Set(Id, peer.Name, "min_grants_per_client", grants.Min());
        results.Set(Id, peer.Name, "max_grants_per_client", grants.Max());
        results.Set(Id, peer.Name, "mean_grants_per_client", mean);
        results.Set(Id, peer.Name, "min_to_mean", mean == 0 ? double.NaN : grants.Min() / mean);
        results.Set(Id, peer.Name, "wait_timeouts", timeouts);
        results.Set(Id, peer.Name, "overlaps", monitor.Overlaps);
        results.CheckExclusion(Id, peer.Name, monitor.Overlaps);
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
