using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (c) 32 clients on one name, each trying without waiting, releasing at once when it wins: successful and failed
/// tries per second, and no two holders ever.
/// </summary>
internal static class HotTry
{
    public const string Id = "c";

    public static async Task RunAsync(IBenchLock peer, ScenarioSettings settings, BenchResults results)
    {
        var name = $"bench-c-{peer.Name}";
        var monitor = new ExclusionMonitor();
        await RunWindowAsync(peer, settings, name, monitor, settings.Warmup);
        var (acquired, refused, elapsed) = await RunWindowAsync(peer, settings, name, monitor, settings.Duration);

        results.Set(Id, peer.Name, "acquired_per_s", acquired / elapsed.TotalSeconds);
        results.Set(Id, peer.Name, "refused_per_s", refused / elapsed.TotalSeconds);
        results.Set(Id, peer.Name, "overlaps", monitor.Overlaps);
        results.CheckExclusion(Id, peer.Name, monitor.Overlaps);
    }

    private static async Task<(long Acquired, long Refused, TimeSpan Elapsed)> RunWindowAsync(
        IBenchLock peer, ScenarioSettings settings, string name, ExclusionMonitor monitor, TimeSpan duration)
    {
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

                monitor.Enter();
                // Give other clients' continuations a chance to run while this one holds, so an overlap has a window
                // to show up in.
                await Task.Yield();
                monitor.Exit();
                await handle.ReleaseAsync();
                Interlocked.Increment(ref acquired);
            }
        })));

        return (acquired, refused, Stopwatch.GetElapsedTime(started));
    }
}
