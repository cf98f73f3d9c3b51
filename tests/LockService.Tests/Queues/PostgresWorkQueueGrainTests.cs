using System.Text;
using LockService.Queues;
using LockService.Semaphores;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Queues;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresWorkQueueGrainTests(PostgresClusterFixture fixture) : WorkQueueGrainTestCases<PostgresClusterFixture>(fixture)
{
    private const int Capacity = WorkQueueOptions.DefaultSegmentCapacity;

    [Fact]
    public async Task A_lock_a_semaphore_and_a_queue_of_the_same_name_keep_separate_rows()
    {
        var name = LockNames.Unique("shared");
        var segmentKey = WorkQueueTaskIds.SegmentKey(name, 0);
        var locked = await Fixture.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", Ttl);
        var lockedLikeSegment = await Fixture.Grains.GetGrain<ILockGrain>(segmentKey).TryAcquire("server-1", Ttl);
        var semaphore = await Fixture.Grains.GetGrain<ISemaphoreGrain>(name).TryAcquire("server-1", LeaseIds.New(), 2, Ttl);
        await Queue(name).Enqueue(Payloads("job"));
        var leaseId = LeaseIds.New();
        var claimed = await Queue(name).Claim("worker", leaseId, Ttl, TimeSpan.Zero);

        Assert.Equal((1L, 1L, 1L, 1L), (locked.FencingToken, lockedLikeSegment.FencingToken, semaphore.FencingToken, claimed!.ClaimToken));
        Assert.Equal(["lock", SemaphoreStorage.StateName, WorkQueueStorage.DirectoryStateName], await StateNamesAsync(name));
        Assert.Equal(["lock", WorkQueueStorage.LeasesStateName, WorkQueueStorage.PayloadsStateName], await StateNamesAsync(segmentKey));
        Assert.Equal(1L, (await Fixture.Grains.GetGrain<ILockGrain>(segmentKey).Describe()).FencingToken);

        var leases = await StoredJsonAsync(segmentKey, WorkQueueStorage.LeasesStateName);
        Assert.Contains("\"h\":", leases);
        Assert.DoesNotContain(leaseId, leases);
        Assert.DoesNotContain("job", leases);
        Assert.DoesNotContain("$type", leases);
        Assert.Contains("\"p\":\"job\"", await StoredJsonAsync(segmentKey, WorkQueueStorage.PayloadsStateName));
    }

    [Fact]
    public async Task A_claim_writes_only_its_segments_leases_whatever_the_queue_length()
    {
        var shortQueue = LockNames.Unique("q-short");
        var longQueue = LockNames.Unique("q-long");
        await Queue(shortQueue).Enqueue(Enumerable.Range(0, Capacity).Select(i => new NewTask($"task-{i}")).ToList());
        for (var batch = 0; batch < 20; batch++)
        {
            await Queue(longQueue).Enqueue(Enumerable.Range(0, QueueArguments.MaxBatchSize).Select(i => new NewTask($"task-{i}")).ToList());
        }

        var longPayloadsVersion = await VersionAsync(WorkQueueTaskIds.SegmentKey(longQueue, 0), WorkQueueStorage.PayloadsStateName);
        foreach (var queue in new[] { shortQueue, longQueue })
        {
            // Every task of the oldest segment claimed, in parallel: its leases record is then as large as it gets.
            var claims = await Task.WhenAll(Enumerable.Range(0, Capacity).Select(_ => Queue(queue).Claim("worker-1", LeaseIds.New(), Ttl, TimeSpan.Zero)));
            Assert.All(claims, claim => Assert.StartsWith("0-", claim!.TaskId));
        }

        var shortSize = await SizeAsync(WorkQueueTaskIds.SegmentKey(shortQueue, 0), WorkQueueStorage.LeasesStateName);
        var longSize = await SizeAsync(WorkQueueTaskIds.SegmentKey(longQueue, 0), WorkQueueStorage.LeasesStateName);
        Assert.Equal(shortSize, longSize);
        Assert.InRange(longSize, Capacity * 100, Capacity * 160);
        // Claims never rewrite the payloads, and nothing of the rest of the queue's 20,000 tasks is in the record.
        Assert.Equal(longPayloadsVersion, await VersionAsync(WorkQueueTaskIds.SegmentKey(longQueue, 0), WorkQueueStorage.PayloadsStateName));
        Assert.Equal(20_000L - Capacity, (await Queue(longQueue).Stats()).Pending);
    }

    private Task<List<string>> StateNamesAsync(string key) => TestDatabase.ScalarAsync<string[]>(
            Fixture.ConnectionString,
            "SELECT array_agg(graintypestring ORDER BY graintypestring) FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key",
            ("service", Fixture.ServiceId), ("key", key))
        .ContinueWith(task => task.Result.ToList(), TaskScheduler.Default);

    private async Task<string> StoredJsonAsync(string key, string stateName) => Encoding.UTF8.GetString(await TestDatabase.ScalarAsync<byte[]>(
        Fixture.ConnectionString,
        "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key AND graintypestring = @state",
        ("service", Fixture.ServiceId), ("key", key), ("state", stateName)));

    private Task<int> SizeAsync(string key, string stateName) => TestDatabase.ScalarAsync<int>(
        Fixture.ConnectionString,
        "SELECT octet_length(payloadbinary) FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key AND graintypestring = @state",
        ("service", Fixture.ServiceId), ("key", key), ("state", stateName));

    private Task<int> VersionAsync(string key, string stateName) => TestDatabase.ScalarAsync<int>(
        Fixture.ConnectionString,
        "SELECT version FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key AND graintypestring = @state",
        ("service", Fixture.ServiceId), ("key", key), ("state", stateName));
}
