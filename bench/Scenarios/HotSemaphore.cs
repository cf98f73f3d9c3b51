using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (f) 32 clients on one counting semaphore of <see cref="ScenarioSettings.SemaphoreMaxCount"/> (4) slots, each
/// waiting for a slot, holding it 1 ms and releasing, again and again, through each peer's semaphore
/// (<see cref="IBenchLock.CreateSemaphoreAsync"/>; a peer without one is skipped): grants per second, handoff latency,
/// how often the releaser gets a slot straight back, and the fewest and most grants per client, as in (d). More
/// holders than the limit at once, a slot held twice, or a slot's fencing token that did not rise fails the run.
/// </summary>
internal sealed class HotSemaphore(ScenarioSettings settings) : IScenario
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, WaitFigures> _figures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IBenchSemaphore?> _semaphores = new(StringComparer.Ordinal);

    public string Id => "f";

    public async Task WarmUpAsync(IBenchLock peer)
    {
        _semaphores[peer.Name] = await peer.CreateSemaphoreAsync();
        await RunWindowAsync(peer, NewFigures(), settings.Warmup);
    }

    public Task MeasureAsync(IBenchLock peer, TimeSpan window) => RunWindowAsync(peer, FiguresOf(peer), window);

    public void Report(IBenchLock peer, BenchResults results)
    {
        if (_semaphores.GetValueOrDefault(peer.Name) is not null)
        {
            FiguresOf(peer).Report(Id, peer.Name, results);
        }
    }

    /// <summary>
    /// As (d): grants answered after the window are released at once and not counted. A handoff runs from just before
    /// a release to the grant that release made possible: with every slot held and clients waiting, each release
    /// allows exactly one grant, so each grant is paired with the oldest release not yet paired (the first grants of a
    /// window, into free slots, find none and are no handoff).
    /// </summary>
    private async Task RunWindowAsync(IBenchLock peer, WaitFigures figures, TimeSpan window)
    {
        if (_semaphores.GetValueOrDefault(peer.Name) is not { } semaphore)
        {
            return;
        }

        var name = $"bench-f-{peer.Name}";
        var releases = new ConcurrentQueue<(long At, int Client)>();
        var until = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var handle = await semaphore.AcquireAsync(name, settings.SemaphoreMaxCount, settings.Ttl, WaitTimeout);
                var grantedAt = Stopwatch.GetTimestamp();
                if (handle is null)
                {
                    Interlocked.Increment(ref figures.Timeouts);
                    continue;
                }

                figures.Monitor.Enter(0, handle.FencingToken, handle.Slot);
                if (grantedAt < until)
                {
                    if (releases.TryDequeue(out var release))
                    {
                        figures.Handoffs.Add(grantedAt - release.At);
                        if (release.Client == client)
                        {
                            Interlocked.Increment(ref figures.Regained);
                        }
                    }

                    figures.Grants[client]++;
                    await PreciseDelay.Shared.WaitAsync(settings.Hold);
                }

                figures.Monitor.Exit(0, handle.Slot);
                releases.Enqueue((Stopwatch.GetTimestamp(), client));
                await handle.ReleaseAsync();
            }
        })));

        figures.Seconds += window.TotalSeconds;
    }

    private WaitFigures FiguresOf(IBenchLock peer) =>
        _figures.TryGetValue(peer.Name, out var figures) ? figures : _figures[peer.Name] = NewFigures();

    private WaitFigures NewFigures() => new(settings.Clients, new ExclusionMonitor(maxHolders: settings.SemaphoreMaxCount));
}
