using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>(b) 32 concurrent clients over 1,000 names, try-acquire + release: successful pairs per second.</summary>
/// <remarks>
/// Measured as one contiguous window per peer followed by a pause, not in windows taking turns. The lock service
/// writes a release lazily, within a few seconds unless the name is acquired again first (LockGrain.LazyRelease.cs).
/// In (b)'s steady state every name is acquired again within a fraction of a second, so those deferred writes are
/// rare; but the seconds-long gaps of turn-taking windows would turn nearly every release into a deferred write that
/// lands in a later window, its own or another peer's. The pause lets them finish between peers.
/// </remarks>
internal sealed class ManyNames(ScenarioSettings settings) : IScenario
{
    private readonly Dictionary<string, Figures> _figures = new(StringComparer.Ordinal);

    public string Id => "b";

    public bool Contiguous => true;

    public async Task WarmUpAsync(IBenchLock peer)
    {
        var figures = FiguresOf(peer);

        // Touch every name once first, so the measured windows see the steady state (for the lock service: activations
        // loaded and the first grant's per-activation work done) rather than the first use of each name.
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < figures.Names.Length)
            {
                if (await peer.TryAcquireAsync(figures.Names[index], settings.Ttl) is { } handle)
                {
                    await handle.ReleaseAsync();
                }
            }
        })));

        await RunWindowAsync(peer, figures, settings.Warmup, keep: false);
    }

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => RunWindowAsync(peer, FiguresOf(peer), window, keep: true);

    public void Report(IBenchLock peer, BenchResults results)
    {
        var figures = FiguresOf(peer);
        results.Set(Id, peer.Name, "pairs_per_s", figures.Pairs / figures.Seconds);
        results.Set(Id, peer.Name, "refused_per_s", figures.Refused / figures.Seconds);
        results.CheckExclusion(Id, peer.Name, figures.Monitor);
    }

    private async Task RunWindowAsync(IBenchLock peer, Figures figures, TimeSpan duration, bool keep)
    {
        long pairs = 0, refused = 0;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(client, started));
            while (Stopwatch.GetTimestamp() < until)
            {
                var index = random.Next(figures.Names.Length);
                var handle = await peer.TryAcquireAsync(figures.Names[index], settings.Ttl);
                if (handle is null)
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }

                await figures.Monitor.HoldAsync(index, handle.FencingToken);
                await handle.ReleaseAsync();
                Interlocked.Increment(ref pairs);
            }
        })));

        if (keep)
        {
            figures.Pairs += pairs;
            figures.Refused += refused;
            figures.Seconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }

    private Figures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = new Figures(peer.Name, settings.Names);

    private sealed class Figures(string peer, int names)
    {
        public string[] Names { get; } = Enumerable.Range(0, names).Select(i => $"bench-b-{peer}-{i}").ToArray();

        public ExclusionMonitor Monitor { get; } = new(names);

        public long Pairs { get; set; }

        public long Refused { get; set; }

        public double Seconds { get; set; }
    }
}
