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
internal sealed class HotWait(ScenarioSettings settings) : IScenario
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, Figures> _figures = new(StringComparer.Ordinal);

    public string Id => "d";

    public Task WarmUpAsync(IBenchLock peer) => RunWindowAsync(peer, new Figures(settings.Clients), settings.Warmup);

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => RunWindowAsync(peer, FiguresOf(peer), window);

    public void Report(IBenchLock peer, BenchResults results)
    {
        var figures = FiguresOf(peer);
        var grants = figures.Grants;
        var total = grants.Sum();
        var mean = (double)total / grants.Length;
        results.Set(Id, peer.Name, "grants_per_s", total / figures.Seconds);
        results.Set(Id, peer.Name, "handoff_p50_ms", figures.Handoffs.PercentileMs(50));
        results.Set(Id, peer.Name, "handoff_p99_ms", figures.Handoffs.PercentileMs(99));
        results.Set(Id, peer.Name, "regained_pct", figures.Handoffs.Count == 0 ? double.NaN : 100.0 * figures.Regained / figures.Handoffs.Count);
        results.Set(Id, peer.Name, "min_grants_per_client", grants.Min());
        results.Set(Id, peer.Name, "max_grants_per_client", grants.Max());
        results.Set(Id, peer.Name, "mean_grants_per_client", mean);
        results.Set(Id, peer.Name, "min_to_mean", mean == 0 ? double.NaN : grants.Min() / mean);
        results.Set(Id, peer.Name, "wait_timeouts", figures.Timeouts);
        results.CheckExclusion(Id, peer.Name, figures.Monitor);
    }

    /// <summary>
    /// The clients acquire, hold and release until the window ends; grants whose answer comes back after it are
    /// released at once and not counted, so every client ends its last wait and the window drains.
    /// </summary>
    private async Task RunWindowAsync(IBenchLock peer, Figures figures, TimeSpan window)
    {
        var name = $"bench-d-{peer.Name}";

        // Written by the holder just before it releases, read by the next holder once granted: both inside the lock,
        // so (as long as the lock works) one writer at a time and every reader sees the previous holder's values.
        long lastReleaseAt = 0;
        var lastReleaser = -1;

        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var handle = await peer.AcquireAsync(name, settings.Ttl, WaitTimeout);
                var grantedAt = Stopwatch.GetTimestamp();
                if (handle is null)
                {
                    Interlocked.Increment(ref figures.Timeouts);
                    continue;
                }

                figures.Monitor.Enter(0, handle.FencingToken);
                if (grantedAt < until)
                {
                    var previousRelease = Volatile.Read(ref lastReleaseAt);
                    if (previousRelease != 0)
                    {
                        figures.Handoffs.Add(grantedAt - previousRelease);
                        if (Volatile.Read(ref lastReleaser) == client)
                        {
                            Interlocked.Increment(ref figures.Regained);
                        }
                    }

                    figures.Grants[client]++;
                    await PreciseDelay.Shared.WaitAsync(settings.Hold);
                }

                Volatile.Write(ref lastReleaser, client);
                Volatile.Write(ref lastReleaseAt, Stopwatch.GetTimestamp());
                figures.Monitor.Exit();
                await handle.ReleaseAsync();
            }
        })));

        figures.Seconds += window.TotalSeconds;
    }

    private Figures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = new Figures(settings.Clients);

    private sealed class Figures(int clients)
    {
        public long Regained;
        public long Timeouts;

        public LatencyRecorder Handoffs { get; } = new();

        public ExclusionMonitor Monitor { get; } = new();

        public long[] Grants { get; } = new long[clients];

        public double Seconds { get; set; }
    }
}
