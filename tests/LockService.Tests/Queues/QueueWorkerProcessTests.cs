using LockService.Chaos.Workload;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LockService.Tests.Queues;

/// <summary>
/// Issue #14's process test: 3 silo processes on PostgreSQL, 16 worker processes, thousands of tasks, workers and silos
/// killed with SIGKILL at random while they work. Every task is completed exactly once (the queue's counts and the
/// workers' logs agree), none is lost, and no two claims of one task are ever live at once.
/// </summary>
public sealed class QueueWorkerProcessTests(ITestOutputHelper output)
{
    /// <summary>
    /// The scale. The faults are placed by progress, not by time, so a slow (loaded) machine takes longer but
    /// meets the same faults at the same points.
    /// </summary>
    private const int Tasks = 10_000;

    private const int Workers = 16;

    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(6);

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Sixteen_workers_complete_every_task_exactly_once_while_workers_and_silos_are_killed()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}, {Tasks} tasks, {Workers} workers, 3 silos, claim TTL {Ttl}");
        var logFolder = Directory.CreateTempSubdirectory("queue-workers-");
        await using var cluster = await SiloProcessCluster.StartAsync("locks_queue_workers", silos: 3);
        var queueName = LockNames.Unique("q-workers");
        var queue = cluster.Client.Locks.CreateQueue(queueName);
        var ids = new List<string>();
        foreach (var batch in Enumerable.Range(0, Tasks).Chunk(QueueArguments.MaxBatchSize))
        {
            // Keyed, so a retried batch adds nothing twice.
            ids.AddRange(await queue.EnqueueAsync(batch.Select(i => ($"task {i}", $"task-{i}"))));
        }

        Assert.Equal(Tasks, ids.Distinct().Count());
        var incarnations = new int[Workers];
        var workers = Enumerable.Range(0, Workers).Select(i => StartWorker(cluster, queueName, i, 0, logFolder.FullName)).ToList();
        var retired = new List<QueueWorkerProcess>();
        var passed = false;
        try
        {
            // Faults by progress: a worker killed (and replaced) at every 5% done, a silo killed and restarted at 25%,
            // 50% and 75%; which worker and which silo is chosen at random.
            var siloKills = 0;
            for (var percent = 5; percent < 100; percent += 5)
            {
                await WaitForDoneAsync(cluster, queueName, Tasks * percent / 100);
                var victim = random.Next(Workers);
                await workers[victim].KillAsync();
                retired.Add(workers[victim]);
                workers[victim] = StartWorker(cluster, queueName, victim, ++incarnations[victim], logFolder.FullName);
                if (percent % 25 == 0)
                {
                    var silo = random.Next(cluster.Silos.Count);
                    cluster.Silos[silo].Kill();
                    siloKills++;
                    output.WriteLine($"{percent}% done: killed worker {victim} and silo {silo}");
                    await cluster.RestartAsync(silo);
                }
            }

            var stats = await WaitForDoneAsync(cluster, queueName, Tasks);
            stats = await Eventually.ReturnsAsync(() => StatsAsync(cluster, queueName), s => s is { Pending: 0, Claimed: 0 }, "nothing pending or claimed", Patience);
            Assert.Equal(3, siloKills);

            // Idle workers only wait for a task now, but one may not have logged its last completion yet: killed with
            // the time noted, so the checker counts that completion for it.
            foreach (var worker in workers)
            {
                await worker.KillAsync();
            }

            var logs = retired.Concat(workers).Select(w => w.ToLog()).ToList();
            var claims = logs.Sum(l => l.Lines.Count(line => line.StartsWith("start ", StringComparison.Ordinal)));
            output.WriteLine($"{claims} claims for {Tasks} tasks by {logs.Count} worker incarnations ({retired.Count} killed); {stats.CompletedByWorker.Count} workers completed tasks");
            var violations = QueueWorkerLogs.Check(ids, stats, logs);
            Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations.Take(50)));
            Assert.True(claims >= Tasks, $"{claims} claims for {Tasks} tasks");
            passed = true;
        }
        finally
        {
            foreach (var worker in workers.Concat(retired))
            {
                await worker.DisposeAsync();
            }

            // A failed run keeps the workers' logs for a look (the path is in the test output).
            if (passed)
            {
                logFolder.Delete(recursive: true);
            }
            else
            {
                output.WriteLine($"worker logs kept in {logFolder.FullName}");
            }
        }
    }

    private static QueueWorkerProcess StartWorker(SiloProcessCluster cluster, string queue, int index, int incarnation, string logFolder) =>
        QueueWorkerProcess.Start(cluster.Gateways, cluster.ClusterId, cluster.ServiceId, queue, $"w{index}-{incarnation}", logFolder, Ttl, workMs: "0-10", failurePercent: 1);

    private static Task<QueueStats> WaitForDoneAsync(SiloProcessCluster cluster, string queue, int done) =>
        Eventually.ReturnsAsync(() => StatsAsync(cluster, queue), s => s.Done >= done, $"{done} tasks done", Patience);

    /// <summary>The queue's counts; while a silo fails over, an empty reading (nothing done) instead of an exception.</summary>
    private static async Task<QueueStats> StatsAsync(SiloProcessCluster cluster, string queue)
    {
        try
        {
            return await cluster.Grains.GetGrain<IWorkQueueGrain>(queue).Stats();
        }
        catch (Exception exception) when (exception is TimeoutException or Orleans.Runtime.OrleansException or LockStorageException)
        {
            return new QueueStats(queue, -1, -1, -1, -1, 0, new Dictionary<string, long>());
        }
    }
}
