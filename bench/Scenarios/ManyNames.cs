using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>(b) 32 concurrent clients over 1,000 names, try-acquire + release: successful pairs per second.</summary>
internal static class ManyNames
{
    public const string Id = "b";

    public static async Task RunAsync(IBenchLock peer, ScenarioSettings settings, BenchResults results)
    {
        var names = Enumerable.Range(0, settings.Names).Select(i => $"bench-b-{peer.Name}-{i}").ToArray();
        var monitor = new ExclusionMonitor(names.Length);

        // Touch every name once first, so the measured window sees the steady state (for the lock service:
        // activations loaded and the first grant's per-activation work done) rather than the first use of each name.
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < names.Length)
            {
                if (await peer.TryAcquireAsync(names[index], settings.Ttl) is { } handle)
                {
                    await handle.ReleaseAsync();
                }
            }
        }));

        await RunWindowAsync(peer, settings, names, monitor, settings.Warmup);
        var (pairs, refused, elapsed) = await RunWindowAsync(peer, settings, names, monitor, settings.Duration);

        results.Set(Id, peer.Name, "pairs_per_s", pairs / elapsed.TotalSeconds);
        results.Set(Id, peer.Name, "refused_per_s", refused / elapsed.TotalSeconds);
        results.Set(Id, peer.Name, "overlaps", monitor.Overlaps);
        results.CheckExclusion(Id, peer.Name, monitor.Overlaps);
    }

    private static async Task<(long Pairs, long Refused, TimeSpan Elapsed)> RunWindowAsync(
        IBenchLock peer, ScenarioSettings settings, string[] names, ExclusionMonitor monitor, TimeSpan duration)
    {
        long pairs = 0, refused = 0;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            while (Stopwatch.GetTimestamp() < until)
            {
                var index = random.Next(names.Length);
                var handle = await peer.TryAcquireAsync(names[index], settings.Ttl);
                if (handle is null)
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }

                monitor.Enter(index);
                await Task.Yield();
                monitor.Exit(index);
                await handle.ReleaseAsync();
                Interlocked.Increment(ref pairs);
            }
        })));

        return (pairs, refused, Stopwatch.GetElapsedTime(started));
    }
}
