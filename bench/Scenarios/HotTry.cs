using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (c) 32 clients on one name, each trying without waiting, releasing at once when it wins: successful and failed
/// tries per second, and no two holders ever.
/// </summary>
internal sealed class HotTry(ScenarioSettings settings) : IScenario
{
    private readonly Dictionary<string, Figures> _figures = new(StringComparer.Ordinal);

    public string Id => "c";

    public Task WarmUpAsync(IBenchLock peer) => RunWindowAsync(peer, FiguresOf(peer), settings.Warmup, keep: false);

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => RunWindowAsync(peer, FiguresOf(peer), window, keep: true);

    public void Report(IBenchLock peer, BenchResults results)
    {
        var figures = FiguresOf(peer);
        results.Set(Id, peer.Name, "acquired_per_s", figures.Acquired / figures.Seconds);
        results.Set(Id, peer.Name, "refused_per_s", figures.Refused / figures.Seconds);
        results.CheckExclusion(Id, peer.Name, figures.Monitor);
    }

    private async Task RunWindowAsync(IBenchLock peer, Figures figures, TimeSpan duration, bool keep)
    {
        var name = $"bench-c-{peer.Name}";
        long acquired = 0, refused = 0;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var handle = await peer.TryAcquireAsync(name, settings.Ttl);
                if (handle is null)
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }

                await figures.Monitor.HoldAsync(0, handle.FencingToken);
                await handle.ReleaseAsync();
                Interlocked.Increment(ref acquired);
            }
        })));

        if (keep)
        {
            figures.Acquired += acquired;
            figures.Refused += refused;
            figures.Seconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }

    private Figures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = new Figures();

    private sealed class Figures
    {
        public ExclusionMonitor Monitor { get; } = new();

        public long Acquired { get; set; }

        public long Refused { get; set; }

        public double Seconds { get; set; }
    }
}
