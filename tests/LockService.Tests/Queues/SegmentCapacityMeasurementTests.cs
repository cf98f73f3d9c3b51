using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using LockService.Grains;
using LockService.Queues;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace LockService.Tests.Queues;

/// <summary>
/// The measurement behind docs/work-queue.md's table: for segment capacities 64, 256 and 1024, on PostgreSQL, 32
/// concurrent workers claim and complete 2,048 tasks; the silo's storage is wrapped to count the leases writes and
/// their size. It asserts what must hold (every task completed exactly once; no leases write larger than the capacity
/// allows) and reports the rest (bytes per write, writes per task, claim latency) without asserting any timing.
/// </summary>
public sealed class SegmentCapacityMeasurementTests(ITestOutputHelper output)
{
    private const int Tasks = 2_048;
    private const int Workers = 32;

    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(1024)]
    public async Task Claim_and_complete_at_segment_capacity(int capacity)
    {
        var database = await TestDatabase.CreateAsync("locks_queue_capacity");
        var name = LockNames.Unique($"q-capacity-{capacity}");
        await using var cluster = await PostgresTestCluster.StartAsync(database, $"queue-capacity-{Guid.NewGuid():N}", configure: builder =>
        {
            builder.Properties[CapacityConfigurator.CapacityKey] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.AddSiloBuilderConfigurator<CapacityConfigurator>();
        });
        var queue = cluster.Grains.GetGrain<IWorkQueueGrain>(name);
        for (var offset = 0; offset < Tasks; offset += QueueArguments.MaxBatchSize)
        {
            await queue.Enqueue(Enumerable.Range(offset, Math.Min(QueueArguments.MaxBatchSize, Tasks - offset)).Select(i => new NewTask($"task-{i}")).ToList());
        }

        var meter = LeasesWriteMeter.For(name);
        var latencies = new ConcurrentBag<double>();
        var completed = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async worker =>
        {
            while (true)
            {
                var leaseId = LeaseIds.New();
                var started = Stopwatch.GetTimestamp();
                var claimed = await queue.Claim($"worker-{worker}", leaseId, TimeSpan.FromMinutes(5), TimeSpan.Zero);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (claimed is null)
                {
                    return;
                }

                await WorkQueueTaskIds.SegmentOf(cluster.Grains, name, claimed.TaskId).Complete(claimed.TaskId, leaseId);
                completed.Add(claimed.Payload);
            }
        }));
        clock.Stop();

        Assert.Equal(Tasks, completed.Count);
        Assert.Equal(Tasks, completed.Distinct().Count());
        Assert.Equal((long)Tasks, (await queue.Stats()).Done);
        Assert.InRange(meter.LargestWrite, 1, capacity * 160);

        var sorted = latencies.Order().ToList();
        var report =
            $"capacity {capacity}: {Tasks} tasks, {Workers} workers, {clock.Elapsed.TotalSeconds:F1} s; " +
            $"leases writes {meter.Writes} ({(double)meter.Writes / Tasks:F2} per task: claim + complete), " +
            $"bytes per leases write mean {meter.Bytes / Math.Max(1, meter.Writes)} max {meter.LargestWrite}, " +
            $"leases bytes per task {meter.Bytes / Tasks}; claim p50 {Percentile(sorted, 0.50):F1} ms p99 {Percentile(sorted, 0.99):F1} ms";
        output.WriteLine(report);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "work-queue-capacity.txt"), $"{DateTime.UtcNow:o} {report}{Environment.NewLine}");
    }

    private static double Percentile(List<double> sorted, double quantile) => sorted[Math.Min(sorted.Count - 1, (int)(quantile * sorted.Count))];

    /// <summary>Sets the segment capacity, and wraps the lock storage provider to measure leases writes.</summary>
    public sealed class CapacityConfigurator : ISiloConfigurator
    {
        public const string CapacityKey = "WorkQueueTestCapacity";

        public void Configure(ISiloBuilder silo)
        {
            var capacity = int.Parse(silo.Configuration[CapacityKey]!, System.Globalization.CultureInfo.InvariantCulture);
            silo.Services.Configure<WorkQueueOptions>(options => options.SegmentCapacity = capacity);
            var durable = silo.Services.Last(d => d.IsKeyedService && Equals(d.ServiceKey, LockGrainServices.StorageProviderName) && d.ServiceType == typeof(IGrainStorage));
            silo.Services.AddKeyedSingleton<IGrainStorage>(
                LockGrainServices.StorageProviderName,
                (services, key) => new LeasesWriteMeter((IGrainStorage)durable.KeyedImplementationFactory!(services, key)));
        }
    }

    /// <summary>Counts the leases writes of a queue's segments and their size as JSON (what the storage serializer writes).</summary>
    private sealed class LeasesWriteMeter(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        private static readonly ConcurrentDictionary<string, Totals> ByQueue = new();

        public static Totals For(string queueName) => ByQueue.GetOrAdd(queueName, _ => new Totals());

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            var key = grainId.Key.ToString()!;
            if (stateName == WorkQueueStorage.LeasesStateName && key.LastIndexOf("/seg-", StringComparison.Ordinal) is var marker and > 0
                && ByQueue.TryGetValue(key[..marker], out var totals))
            {
                totals.Add(JsonSerializer.SerializeToUtf8Bytes(grainState.State).Length);
            }

            return inner.WriteStateAsync(stateName, grainId, grainState);
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
    }

    private sealed class Totals
    {
        private long _writes;
        private long _bytes;
        private int _largest;

        public long Writes => Interlocked.Read(ref _writes);

        public long Bytes => Interlocked.Read(ref _bytes);

        public int LargestWrite => Volatile.Read(ref _largest);

        public void Add(int bytes)
        {
            Interlocked.Increment(ref _writes);
            Interlocked.Add(ref _bytes, bytes);
            int seen;
            while ((seen = Volatile.Read(ref _largest)) < bytes && Interlocked.CompareExchange(ref _largest, bytes, seen) != seen)
            {
            }
        }
    }
}
