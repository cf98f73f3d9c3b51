using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>(a) One client, sequential try-acquire + release pairs on one name: the latency of a pair.</summary>
internal static class Uncontended
{
    public const string Id = "a";

    public static async Task RunAsync(IBenchLock peer, ScenarioSettings settings, BenchResults results)
    {
        var name = $"bench-a-{peer.Name}";
        var monitor = new ExclusionMonitor();
        var refused = 0L;
        var latencies = new LatencyRecorder();

        async Task PairsAsync(TimeSpan duration, LatencyRecorder? record)
        {
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                var started = Stopwatch.GetTimestamp();
                var handle = await peer.TryAcquireAsync(name, settings.Ttl);
                if (handle is null)
                {
                    // Nobody else uses this name: a refusal means the previous release did not take.
                    refused++;
                    continue;
                }

                monitor.Enter();
                monitor.Exit();
                await handle.ReleaseAsync();
                record?.Add(Stopwatch.GetTimestamp() - started);
            }
        }

        await PairsAsync(settings.Warmup, record: null);
        await PairsAsync(settings.Duration, latencies);

        results.Set(Id, peer.Name, "pair_p50_ms", latencies.PercentileMs(50));
        results.Set(Id, peer.Name, "pair_p99_ms", latencies.PercentileMs(99));
        results.Set(Id, peer.Name, "pairs", latencies.Count);
        results.Set(Id, peer.Name, "refused", refused);
        results.Set(Id, peer.Name, "overlaps", monitor.Overlaps);
        results.CheckExclusion(Id, peer.Name, monitor.Overlaps);
        if (refused > 0)
        {
            results.Fail($"({Id}) {peer.Name}: {refused} uncontended try-acquires were refused (a release did not free the lock).");
        }
    }
}
