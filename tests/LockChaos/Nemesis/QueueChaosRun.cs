using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Chaos.Workload;
using Orleans.Runtime;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// One chaos test of the work queue: 3 silos, queue worker processes claiming, working and completing while the runner
/// enqueues tasks, and the test's nemesis killing workers and silos. When the faults stop, the workers drain the queue;
/// then <see cref="QueueWorkerLogs"/> judges their logs against the queue's own counts: no task lost, never two live
/// claims on one task, each task completed once, by its current claim.
/// </summary>
internal static class QueueChaosRun
{
    private const int Silos = 3;

    public static async Task<CheckReport> RunAsync(ChaosTest test, QueueWorkload workload, string database, string historyFolder)
    {
        Console.WriteLine($"== {test.Name}: {workload.Workers} queue workers, {Silos} silos, claim TTL {workload.Ttl.TotalSeconds:0.#} s, work {workload.WorkMs} ms, {workload.FailurePercent}% failed, {test.Settings.Duration.TotalSeconds:0} s of faults");
        var report = new CheckReport();
        await using var cluster = new ChaosCluster(test.Settings, database, historyFolder, test.Name);
        await cluster.StartSilosAsync(Silos, test.SiloArguments);
        cluster.StartQueueWorkers(workload);
        var producer = new QueueProducer(cluster.Grains, workload);
        test.Settings.StartedAt = DateTime.UtcNow;
        using (var stop = new CancellationTokenSource(test.Settings.Duration))
        {
            var producing = producer.RunAsync(stop.Token);
            try
            {
                await test.Nemesis(cluster, test.Settings, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            try
            {
                await producing;
            }
            catch (Exception exception)
            {
                report.OtherFailures.Add($"the producer could not enqueue: {exception.Message}");
            }
        }

        // Every fault has ended (a killed silo is restarted before its round ends): the workers finish what is left.
        var drain = Stopwatch.StartNew();
        var stats = await DrainAsync(cluster, workload, producer.TaskIds.Count);
        Faults.Log($"{stats.Done} of {producer.TaskIds.Count} tasks done {drain.Elapsed.TotalSeconds:0.0} s after the faults stopped");
        await cluster.StopQueueWorkersAsync();

        // Kept beside the workers' logs, so `LockChaos check DIR` judges this run again from the folder alone.
        var input = new QueueCheckInput(producer.TaskIds.ToList(), stats, cluster.QueueWorkerLogFiles());
        await input.WriteAsync(historyFolder);
        var logs = input.ReadLogs(historyFolder);
        var violations = input.Check(historyFolder).ToList();

        var claims = logs.Sum(log => log.Lines.Count(line => line.StartsWith("start ", StringComparison.Ordinal)));
        report.Operations = logs.Sum(log => log.Lines.Count);
        report.Grants = claims;
        report.Faults = cluster.FaultCount;
        report.Notes.Add($"queue: {producer.TaskIds.Count} tasks ({producer.Retries} enqueue retries), {claims} claims by {logs.Count} worker incarnations ({cluster.QueueWorkersKilled} killed), {stats.Done} done, drained {drain.Elapsed.TotalSeconds:0} s after the faults");
        foreach (var violation in violations)
        {
            report.Violation("queue", violation);
        }

        if (violations.Count > 0)
        {
            report.OtherFailures.Add($"the queue checker found {violations.Count} violation(s)");
        }

        return report;
    }

    /// <summary>Waits until every task is done and nothing is pending or claimed, or the deadline passes; returns the last counts read.</summary>
    private static async Task<QueueStats> DrainAsync(ChaosCluster cluster, QueueWorkload workload, int tasks)
    {
        var queue = cluster.Grains.GetGrain<IWorkQueueGrain>(workload.Queue);
        var deadline = Stopwatch.StartNew();
        var stats = new QueueStats(workload.Queue, -1, -1, -1, -1, 0, new Dictionary<string, long>());
        while (deadline.Elapsed < workload.DrainDeadline)
        {
            try
            {
                stats = await queue.Stats();
                // Dead tasks never finish: stop waiting for them too (the checker reports them).
                if (stats.Done + stats.Dead >= tasks && stats is { Pending: 0, Claimed: 0 })
                {
                    break;
                }
            }
            catch (Exception exception) when (exception is TimeoutException or OrleansException or LockStorageException)
            {
                // Still failing over: ask again.
            }

            await Task.Delay(500);
        }

        return stats;
    }
}
