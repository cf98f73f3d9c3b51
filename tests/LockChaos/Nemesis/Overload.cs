using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Testing;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// Overload: 2,000 callers wait on one lock (more than the test silos' queue bound of 1,500) while 10,000 other locks
/// are acquired and held. Callers past the bound must get a fast, clear <see cref="LockQueueFullException"/>; nobody
/// may get a response time-out; every waiter within the bound is served exactly once; silo memory must stay bounded.
/// </summary>
public static class Overload
{
    public const int QueueBound = 1500;
    private const int Waiters = 2000;
    private const int LiveLocks = 10_000;
    private const long MaxSiloRssBytes = 1L << 30;

    public static IEnumerable<string> SiloArguments(int silo) => ["--LockGrains:MaxWaiters", $"{QueueBound}"];

    public static async Task RunAsync(ChaosCluster cluster, ChaosSettings settings, CancellationToken stop)
    {
        await Task.Delay(TimeSpan.FromSeconds(5), stop);
        var rssBefore = cluster.Silos.Sum(s => Rss(s.Process!));
        var hot = cluster.Grains.GetGrain<ILockGrain>("chaos-hot");
        var start = HistoryFile.Now();
        var holder = await hot.TryAcquire("overload:holder", TimeSpan.FromMinutes(1));

        var outcomes = new ConcurrentDictionary<string, int>();
        var refusalTimes = new ConcurrentBag<double>();
        var ids = 0L;
        void Count(string outcome) => outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

        var waiting = Enumerable.Range(0, Waiters).Select(async i =>
        {
            var owner = $"overload:waiter-{i}";
            var id = Interlocked.Increment(ref ids);
            var sent = Stopwatch.GetTimestamp();
            cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = id, Op = HistoryEvent.Ops.Acquire, Phase = HistoryEvent.Phases.Invoke, Lock = "chaos-hot", Owner = owner, TtlMs = 10_000, T = sent });
            try
            {
                var grant = await hot.Acquire(owner, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(2));
                cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = id, Op = HistoryEvent.Ops.Acquire, Phase = grant.Acquired ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail, Lock = "chaos-hot", Owner = owner, Token = grant.FencingToken, T = HistoryFile.Now() });
                Count(grant.Acquired ? "granted" : "timed out in the queue");
                if (grant.Acquired)
                {
                    var releaseId = Interlocked.Increment(ref ids);
                    cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = releaseId, Op = HistoryEvent.Ops.Release, Phase = HistoryEvent.Phases.Invoke, Lock = "chaos-hot", Owner = owner, Token = grant.FencingToken, T = HistoryFile.Now() });
                    await hot.Release(owner, grant.FencingToken);
                    cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = releaseId, Op = HistoryEvent.Ops.Release, Phase = HistoryEvent.Phases.Ok, Lock = "chaos-hot", Owner = owner, Token = grant.FencingToken, T = HistoryFile.Now() });
                }
            }
            catch (LockQueueFullException)
            {
                refusalTimes.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = id, Op = HistoryEvent.Ops.Acquire, Phase = HistoryEvent.Phases.Fail, Lock = "chaos-hot", Owner = owner, T = HistoryFile.Now(), Detail = "queue full" });
                Count("refused: queue full");
            }
            catch (Exception exception)
            {
                cluster.Nemesis.Write(new HistoryEvent { Client = "overload", Id = id, Op = HistoryEvent.Ops.Acquire, Phase = HistoryEvent.Phases.Unknown, Lock = "chaos-hot", Owner = owner, T = HistoryFile.Now(), Detail = exception.GetType().Name });
                Count(exception.GetType().Name);
            }
        }).ToList();

        // Meanwhile 10,000 other locks are taken and kept, 200 calls at a time.
        using var gate = new SemaphoreSlim(200);
        var liveErrors = 0;
        var live = Enumerable.Range(0, LiveLocks).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var result = await cluster.Grains.GetGrain<ILockGrain>($"chaos-live-{i}").TryAcquire("overload:keeper", TimeSpan.FromMinutes(5));
                if (!result.Acquired)
                {
                    Interlocked.Increment(ref liveErrors);
                }
            }
            catch (Exception)
            {
                Interlocked.Increment(ref liveErrors);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        await Task.WhenAll(live);
        // Let the queue fill, then let the lock go: the waiters are served one after another.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await hot.Release("overload:holder", holder.FencingToken);
        await Task.WhenAll(waiting);
        cluster.RecordFault("overload", start, HistoryFile.Now());

        var rssAfter = cluster.Silos.Sum(s => Rss(s.Process!));
        var granted = outcomes.GetValueOrDefault("granted");
        var refused = outcomes.GetValueOrDefault("refused: queue full");
        var p99Refusal = refusalTimes.Count == 0 ? 0 : refusalTimes.OrderBy(t => t).ElementAt((int)(refusalTimes.Count * 0.99));
        cluster.Notes.Add($"overload: {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}; queue-full refusals answered in p99 {p99Refusal:0} ms; {LiveLocks - liveErrors} of {LiveLocks} live locks held; silo RSS {rssBefore >> 20} MiB before, {rssAfter >> 20} MiB after");

        if (outcomes.Keys.Any(k => k.Contains("Timeout", StringComparison.Ordinal)))
        {
            cluster.Failures.Add($"response time-outs under overload: {outcomes.Where(o => o.Key.Contains("Timeout", StringComparison.Ordinal)).Sum(o => o.Value)}");
        }

        if (refused == 0 || granted + refused != Waiters)
        {
            cluster.Failures.Add($"expected every waiter to be served or refused at the bound of {QueueBound}; got {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}");
        }

        if (liveErrors > 0)
        {
            cluster.Failures.Add($"{liveErrors} of the {LiveLocks} live locks were not granted");
        }

        if (rssAfter > MaxSiloRssBytes * cluster.Silos.Count)
        {
            cluster.Failures.Add($"silo memory grew to {rssAfter >> 20} MiB");
        }

        await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    // A silo that is gone counts as nothing rather than failing the measurement.
    private static long Rss(SiloProcess silo)
    {
        try
        {
            return silo.ResidentBytes();
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
