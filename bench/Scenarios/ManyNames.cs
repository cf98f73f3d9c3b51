using System.Diagnostics;
using LockService.Bench.Hosting;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (b) 32 concurrent clients over many names (1,000; and, as its own row, 100,000), try-acquire + release: successful
/// pairs per second; with what the pairs cost PostgreSQL (write transactions and server CPU time per pair) and, for
/// peers with silos of their own, what the names cost the silos' memory.
/// </summary>
/// <remarks>
/// <para>Measured as one contiguous window per peer, then a pause until PostgreSQL is quiet, not in windows taking
/// turns. The lock service writes a release lazily, a few seconds later unless the name is acquired again first
/// (LockGrain.LazyRelease.cs). At 1,000 names every name is acquired again within a fraction of a second, so those
/// deferred writes are rare; at 100,000 names nearly every release is one, written about 5 s after it, which is the
/// steady state the window should see: so the window follows the warm-up without a pause (the warm-up's releases are
/// being written during it), and the pause after it lets the window's own finish before the next peer runs. The
/// database's figures run from the window's start to the end of that pause, so they include those writes.</para>
/// <para>The warm-up touches every name once first (the "first touch" figure: for the lock service each first pair
/// activates a grain, reads its row and registers its reaper reminder), so the window sees names already in use.</para>
/// </remarks>
/// <param name="measuresMemory">
/// Whether to report the silos' memory per name: only where the names are many enough that they, not the silo's
/// first minutes (JIT, pools, caches), make the difference.
/// </param>
internal sealed class ManyNames(ScenarioSettings settings, string id, int names, PostgresActivity database, bool measuresMemory, IReadOnlyCollection<string>? peers = null) : IScenario
{
    private readonly Dictionary<string, Figures> _figures = new(StringComparer.Ordinal);

    public string Id => id;

    public bool Contiguous => true;

    /// <summary>How many names the clients spread over.</summary>
    public int Names => names;

    public bool Includes(IBenchLock peer) => peers is null || peers.Contains(peer.Name);

    public async Task WarmUpAsync(IBenchLock peer)
    {
        var figures = FiguresOf(peer);
        figures.ServerBytesBefore = peer.ServerResidentBytes();

        // Touch every name once first, so the measured windows see the steady state (for the lock service: activations
        // loaded and the first grant's per-activation work done) rather than the first use of each name.
        var started = Stopwatch.GetTimestamp();
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
        figures.FirstTouchSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        await RunWindowAsync(peer, figures, settings.Warmup, keep: false);
    }

    public async Task MeasureAsync(IBenchLock peer, TimeSpan window)
    {
        var figures = FiguresOf(peer);
        var before = await database.SampleAsync();
        await RunWindowAsync(peer, figures, window, keep: true);
        await Task.Delay(settings.Settle);
        figures.WentQuiet = await database.WaitUntilQuietAsync(settings.QuietWait);
        figures.Database = (await database.SampleAsync()).Since(before);
        figures.ServerBytesAfter = peer.ServerResidentBytes();
    }

    public void Report(IBenchLock peer, BenchResults results)
    {
        var figures = FiguresOf(peer);
        results.Set(Id, peer.Name, "names", names);
        results.Set(Id, peer.Name, "pairs", figures.Pairs);
        results.Set(Id, peer.Name, "pairs_per_s", figures.Pairs / figures.Seconds);
        results.Set(Id, peer.Name, "refused_per_s", figures.Refused / figures.Seconds);
        results.Set(Id, peer.Name, "first_touch_pairs_per_s", names / figures.FirstTouchSeconds);
        if (figures.Database is { } database && figures.Pairs > 0)
        {
            results.Set(Id, peer.Name, "pg_write_xacts_per_pair", (double)database.Writes / figures.Pairs);
            results.Set(Id, peer.Name, "pg_cpu_ms_per_pair", 1000 * database.CpuSeconds / figures.Pairs);
            results.Set(Id, peer.Name, "pg_write_xacts_per_cpu_s", database.CpuSeconds > 0 ? database.Writes / database.CpuSeconds : double.NaN);
            if (!figures.WentQuiet)
            {
                results.Note($"({Id}) {peer.Name}: PostgreSQL did not go quiet within {settings.QuietWait.TotalSeconds:F0} s after the window; its figures may include others' writes.");
            }
        }

        if (measuresMemory && figures.ServerBytesBefore is { } bytesBefore && figures.ServerBytesAfter is { } bytesAfter)
        {
            results.Set(Id, peer.Name, "silo_rss_before_mib", bytesBefore / 1048576.0);
            results.Set(Id, peer.Name, "silo_rss_after_mib", bytesAfter / 1048576.0);
            results.Set(Id, peer.Name, "silo_bytes_per_name", (double)(bytesAfter - bytesBefore) / names);
        }

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
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = new Figures($"bench-{id}-{peer.Name}", names);

    private sealed class Figures(string prefix, int names)
    {
        public string[] Names { get; } = Enumerable.Range(0, names).Select(i => $"{prefix}-{i}").ToArray();

        public ExclusionMonitor Monitor { get; } = new(names);

        public long Pairs { get; set; }

        public long Refused { get; set; }

        public double Seconds { get; set; }

        public double FirstTouchSeconds { get; set; }

        public PostgresActivity.Interval? Database { get; set; }

        public bool WentQuiet { get; set; }

        public long? ServerBytesBefore { get; set; }

        public long? ServerBytesAfter { get; set; }
    }
}
