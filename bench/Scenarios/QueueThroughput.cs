using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// The work queue scenario (issue 14): 32 workers claim and complete with no work in between, on a queue that holds
/// between <c>pending</c> and twice that many pending tasks while it is measured (it is filled with twice as many and
/// the window ends when the first half is claimed, or after the scenario's duration). Per peer: claims per second,
/// claim latency (p50, p99), grain-storage bytes written per claim, and duplicate completions, any of which fails the
/// run (a task completed twice, or completed under a claim that was not current).
/// </summary>
internal static class QueueThroughput
{
    /// <summary>The scenario id of one queue length in the results: <c>q-1000</c>, <c>q-10000</c>, <c>q-100000</c>.</summary>
    public static string Id(int pending) => $"q-{pending}";

    /// <param name="id">The scenario id to report under; <see cref="Id"/> of <paramref name="pending"/> unless given (scenario (h) is <c>h-10000</c>).</param>
    public static async Task RunAsync(IBenchQueue peer, int pending, ScenarioSettings settings, BenchResults results, string? id = null)
    {
        id ??= Id(pending);

        // Thrown away: JIT, pools, the first activations.
        await peer.FillAsync(settings.Clients * 20);
        await RunWorkersAsync(peer, settings.Clients, settings.Warmup, int.MaxValue, new LatencyRecorder(), new ConcurrentDictionary<string, int>());

        await peer.FillAsync(2 * pending);
        var bytesBefore = await peer.StorageBytesWrittenAsync();
        var latencies = new LatencyRecorder();
        var completions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var (elapsed, refused) = await RunWorkersAsync(peer, settings.Clients, settings.Duration, pending, latencies, completions);
        var bytesAfter = await peer.StorageBytesWrittenAsync();

        var completed = completions.Count;
        var duplicates = completions.Values.Sum(count => count - 1);
        results.Set(id, peer.Name, "pending", pending);
        results.Set(id, peer.Name, "claims", latencies.Count);
        results.Set(id, peer.Name, "claims_per_s", completed / elapsed.TotalSeconds);
        results.Set(id, peer.Name, "claim_p50_ms", latencies.PercentileMs(50));
        results.Set(id, peer.Name, "claim_p99_ms", latencies.PercentileMs(99));
        results.Set(id, peer.Name, "duplicate_completions", duplicates);
        results.Set(id, peer.Name, "refused_completions", refused);
        if (bytesBefore is { } before && bytesAfter is { } after && latencies.Count > 0)
        {
            results.Set(id, peer.Name, "storage_bytes_per_claim", (double)(after - before) / latencies.Count);
        }

        if (duplicates > 0)
        {
            results.Fail($"({id}) {peer.Name}: COMPLETED TWICE: {duplicates} completion(s) of a task that was completed already.");
        }

        if (refused > 0)
        {
            // No lease can end in the window (the lease is far longer), so a refusal means the queue lost track of a claim.
            results.Fail($"({id}) {peer.Name}: {refused} completion(s) of a current claim refused.");
        }
    }

    /// <summary>Claims and completes with <paramref name="workers"/> workers until <paramref name="window"/> has passed, <paramref name="claims"/> claims were made, or the queue is empty.</summary>
    private static async Task<(TimeSpan Elapsed, int Refused)> RunWorkersAsync(
        IBenchQueue peer, int workers, TimeSpan window, int claims, LatencyRecorder latencies, ConcurrentDictionary<string, int> completions)
    {
        var started = Stopwatch.GetTimestamp();
        var taken = 0;
        var refused = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(started) < window && Interlocked.Increment(ref taken) <= claims)
            {
                var claimStarted = Stopwatch.GetTimestamp();
                var claim = await peer.ClaimAsync();
                if (claim is null)
                {
                    return;
                }

                latencies.Add(Stopwatch.GetTimestamp() - claimStarted);
                if (await claim.CompleteAsync())
                {
                    completions.AddOrUpdate(claim.TaskId, 1, (_, count) => count + 1);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }));
        return (Stopwatch.GetElapsedTime(started), refused);
    }
}
