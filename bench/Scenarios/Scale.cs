using System.Diagnostics;
using LockService.Testing;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>
/// (e) 100,000 distinct locks acquired and held through one silo (a fresh one, so every lock grain on it is counted):
/// the silo's resident memory per held lock and the time to acquire them all; then everything is released and the
/// scenario waits for the idle lock grains to deactivate and reports how many are left and how much memory came back.
/// </summary>
internal static class Scale
{
    public const string Id = "e";

    public static async Task RunAsync(IBenchLock peer, IGrainFactory grains, SiloProcess silo, ScenarioSettings settings, BenchResults results)
    {
        var names = Enumerable.Range(0, settings.ScaleLocks).Select(i => $"bench-e-{i}").ToArray();
        var handles = new IBenchHandle?[names.Length];
        var management = grains.GetGrain<IManagementGrain>(0);

        // Warm the fresh silo up first (JIT, pools, the reminder service) so the baseline is a silo that has served,
        // not one that never did; these warm-up grains stay active and are counted with the rest below.
        var warmup = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.ScaleClients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref warmup)) < settings.ScaleWarmupLocks)
            {
                if (await peer.TryAcquireAsync($"bench-e-warmup-{index}", settings.ScaleTtl) is { } handle)
                {
                    await handle.ReleaseAsync();
                }
            }
        })));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var baseActivations = await LockActivationsAsync(management);
        var baseRss = silo.ResidentBytes();

        var started = Stopwatch.GetTimestamp();
        long refused = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.ScaleClients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < names.Length)
            {
                handles[index] = await peer.TryAcquireAsync(names[index], settings.ScaleTtl);
                if (handles[index] is null)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));
        var acquireSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Let the silo settle (finished requests, background GC) before reading its memory.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var heldActivations = await LockActivationsAsync(management);
        var heldRss = silo.ResidentBytes();
        var held = names.Length - refused;

        started = Stopwatch.GetTimestamp();
        next = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.ScaleClients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < names.Length)
            {
                if (handles[index] is { } handle)
                {
                    await handle.ReleaseAsync();
                    handles[index] = null;
                }
            }
        })));
        var releaseSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Idle lock grains are collected by Orleans once idle for the silo's configured age, and the silo then gives the
        // memory back; wait for both (or the deadline), looking every few seconds.
        var idleStarted = Stopwatch.GetTimestamp();
        var idleActivations = await LockActivationsAsync(management);
        var idleRss = silo.ResidentBytes();
        while ((idleActivations > heldActivations / 100 || idleRss > baseRss + (heldRss - baseRss) / 2)
               && Stopwatch.GetElapsedTime(idleStarted) < settings.IdleWait)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            idleActivations = await LockActivationsAsync(management);
            idleRss = silo.ResidentBytes();
            Console.Error.WriteLine($"bench: (e) idle for {Stopwatch.GetElapsedTime(idleStarted).TotalSeconds:F0} s: {idleActivations:N0} lock activations, RSS {idleRss / 1048576.0:F0} MiB");
        }

        var idleSeconds = Stopwatch.GetElapsedTime(idleStarted).TotalSeconds;

        results.Set(Id, peer.Name, "locks_held", held);
        results.Set(Id, peer.Name, "acquire_all_s", acquireSeconds);
        results.Set(Id, peer.Name, "acquired_per_s", held / acquireSeconds);
        results.Set(Id, peer.Name, "release_all_s", releaseSeconds);
        results.Set(Id, peer.Name, "rss_before_mib", baseRss / 1048576.0);
        results.Set(Id, peer.Name, "rss_held_mib", heldRss / 1048576.0);
        results.Set(Id, peer.Name, "rss_idle_mib", idleRss / 1048576.0);
        // The silo collects lock grains idle for 65 s (SiloVariant.IdleCollection), held or not: a held lock's handle
        // renews only every 5 minutes here. On a busy machine the acquires can take longer than that, and then the
        // first locks' activations are gone (their garbage still in the RSS) before the memory is read: the figure
        // would describe fewer activations than locks, so it is not given.
        var collectedWhileAcquiring = held - (heldActivations - baseActivations);
        var perLockValid = held > 0 && collectedWhileAcquiring <= held / 100;
        results.Set(Id, peer.Name, "bytes_per_held_lock", perLockValid ? (double)(heldRss - baseRss) / held : double.NaN);
        if (!perLockValid && held > 0)
        {
            results.Note($"({Id}) {peer.Name}: {collectedWhileAcquiring:N0} of {held:N0} held locks' activations were collected while the locks were acquired ({acquireSeconds:F0} s, longer than the silo's 65 s idle age): no bytes per held lock in this run (try --scale {Math.Max(1000, (int)(held * 60 / Math.Max(1, acquireSeconds)) / 1000 * 1000)}).");
        }

        results.Set(Id, peer.Name, "activations_before", baseActivations);
        results.Set(Id, peer.Name, "activations_held", heldActivations);
        results.Set(Id, peer.Name, "activations_after_idle", idleActivations);
        results.Set(Id, peer.Name, "idle_wait_s", idleSeconds);
        results.Set(Id, peer.Name, "memory_returned_pct", heldRss == baseRss ? double.NaN : 100.0 * (heldRss - idleRss) / (heldRss - baseRss));
        if (refused > 0)
        {
            results.Fail($"({Id}) {peer.Name}: {refused} of {names.Length} distinct, free locks were refused.");
        }
    }

    private static async Task<int> LockActivationsAsync(IManagementGrain management)
    {
        // A read-only count, asked again when the silo is too busy to answer in time: 5 s after the releases, the
        // lazily durable release writes of all 100,000 locks fall due at once and can hold the silo's 2 cores past
        // the 10 s response time-out. The count is a measurement, so a late answer is not a failure of the service.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var statistics = await management.GetSimpleGrainStatistics();
                return statistics.Where(s => s.GrainType.StartsWith("LockService.Grains.LockGrain,", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
            }
            catch (TimeoutException) when (attempt < 6)
            {
                Console.Error.WriteLine($"bench: (e) the activation count timed out (attempt {attempt}); asking again");
            }
        }
    }
}
