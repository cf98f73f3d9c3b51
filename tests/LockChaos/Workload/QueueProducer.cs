using Orleans.Runtime;

namespace LockService.Chaos.Workload;

/// <summary>
/// Enqueues the queue workload's tasks in small keyed batches while a chaos test runs. A batch whose call fails (a silo
/// killed, the queue failing over) is sent again with the same keys until it lands: keyed enqueue adds nothing twice,
/// so the producer ends up knowing the id of every task the queue holds, which is what the checker needs.
/// </summary>
public sealed class QueueProducer(IGrainFactory grains, QueueWorkload workload)
{
    private readonly List<string> _taskIds = [];

    /// <summary>The ids the queue returned, in enqueue order; each task once.</summary>
    public IReadOnlyList<string> TaskIds => _taskIds;

    /// <summary>Enqueue calls that failed and were sent again.</summary>
    public int Retries { get; private set; }

    /// <summary>Enqueues a batch every <see cref="QueueWorkload.BatchInterval"/> until <paramref name="stop"/>; a batch under way is finished.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var queue = grains.GetGrain<IWorkQueueGrain>(workload.Queue);
        for (var next = 0; !stop.IsCancellationRequested; next += workload.BatchSize)
        {
            var batch = Enumerable.Range(next, workload.BatchSize).Select(i => new NewTask($"task {i}", $"task-{i}")).ToList();
            _taskIds.AddRange(await EnqueueUntilLandedAsync(queue, batch));
            try
            {
                await Task.Delay(workload.BatchInterval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<IReadOnlyList<string>> EnqueueUntilLandedAsync(IWorkQueueGrain queue, List<NewTask> batch)
    {
        // Bounded, so a cluster that never comes back ends the test (the checker then finds what is missing).
        var deadline = DateTime.UtcNow + workload.DrainDeadline;
        while (true)
        {
            try
            {
                return await queue.Enqueue(batch);
            }
            catch (Exception exception) when (exception is TimeoutException or OrleansException or LockStorageException && DateTime.UtcNow < deadline)
            {
                Retries++;
                await Task.Delay(200);
            }
        }
    }
}
