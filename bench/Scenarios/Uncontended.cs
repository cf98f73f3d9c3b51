using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>(a) One client, sequential try-acquire + release pairs on one name: the latency of a pair.</summary>
internal sealed class Uncontended(ScenarioSettings settings) : IScenario
{
    private readonly Dictionary<string, Figures> _figures = new(StringComparer.Ordinal);

    public string Id => "a";

    public Task WarmUpAsync(IBenchLock peer) => PairsAsync(peer, settings.Warmup, new Figures());

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => PairsAsync(peer, window, FiguresOf(peer));

    public void Report(IBenchLock peer, BenchResults results)
    {
        var figures = FiguresOf(peer);
        results.Set(Id, peer.Name, "pair_p50_ms", figures.Latencies.PercentileMs(50));
        results.Set(Id, peer.Name, "pair_p99_ms", figures.Latencies.PercentileMs(99));
        results.Set(Id, peer.Name, "pairs", figures.Latencies.Count);
        results.Set(Id, peer.Name, "refused", figures.Refused);
        results.CheckExclusion(Id, peer.Name, figures.Monitor);
        if (figures.Refused > 0)
        {
            results.Fail($"({Id}) {peer.Name}: {figures.Refused} uncontended try-acquires were refused (a release did not free the lock).");
        }
    }

    private async Task PairsAsync(IBenchLock peer, TimeSpan duration, Figures figures)
    {
        var name = $"bench-a-{peer.Name}";
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            var started = Stopwatch.GetTimestamp();
            var handle = await peer.TryAcquireAsync(name, settings.Ttl);
            if (handle is null)
            {
                // Nobody else uses this name: a refusal means the previous release did not take.
                figures.Refused++;
                continue;
            }

            figures.Monitor.Enter(0, handle.FencingToken);
            figures.Monitor.Exit();
            await handle.ReleaseAsync();
            figures.Latencies.Add(Stopwatch.GetTimestamp() - started);
        }
    }

    private Figures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = new Figures();

    private sealed class Figures
    {
        public LatencyRecorder Latencies { get; } = new();

        public ExclusionMonitor Monitor { get; } = new();

        public long Refused { get; set; }
    }
}
