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

    private readonly Dictionary<string, WaitFigures> _figures = new(StringComparer.Ordinal);

    public string Id => "d";

    public Task WarmUpAsync(IBenchLock peer) => RunWindowAsync(peer, NewFigures(), settings.Warmup);

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => RunWindowAsync(peer, FiguresOf(peer), window);

    public void Report(IBenchLock peer, BenchResults results) => FiguresOf(peer).Report(Id, peer.Name, results);

    /// <summary>
    /// The clients acquire, hold and release until the window ends; grants whose answer comes back after it are
    /// released at once and not counted, so every client ends its last wait and the window drains.
    /// </summary>
    private async Task RunWindowAsync(IBenchLock peer, WaitFigures figures, TimeSpan window)
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

    private WaitFigures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = NewFigures();

    private WaitFigures NewFigures() => new(settings.Clients, new ExclusionMonitor());
}
