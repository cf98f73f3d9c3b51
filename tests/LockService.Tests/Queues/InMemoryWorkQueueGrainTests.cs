using LockService.Queues;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Queues;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemoryWorkQueueGrainTests(InMemoryClusterFixture fixture) : WorkQueueGrainTestCases<InMemoryClusterFixture>(fixture)
{
    [Fact]
    public async Task A_storage_failure_fails_the_claim_closed()
    {
        var name = LockNames.Unique("q-storage-failure");
        await Queue(name).Enqueue(Payloads("job"));
        FaultInjectingGrainStorage.FailNextWrite(SegmentStorageId(name, 0), () => new TimeoutException("database unreachable"));

        var error = await Assert.ThrowsAsync<LockStorageException>(() => Queue(name).Claim("worker-1", LeaseIds.New(), Ttl, TimeSpan.Zero));
        Assert.Contains("failed closed", error.Message);

        var stats = await Queue(name).Stats();
        Assert.Equal((1L, 0L), (stats.Pending, stats.Claimed));
        var claimed = await Queue(name).Claim("worker-2", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal(("0-0", 1L, 1), (claimed?.TaskId, claimed?.ClaimToken, claimed?.Attempt));
    }

    [Fact]
    public async Task Claims_that_arrive_during_a_write_share_the_next_write()
    {
        var name = LockNames.Unique("q-coalesce");
        await Queue(name).Enqueue(Enumerable.Range(0, 10).Select(i => new NewTask($"task-{i}")).ToList());
        var segmentKey = WorkQueueTaskIds.SegmentKey(name, 0);
        var writesBefore = FaultInjectingGrainStorage.WritesOf(SegmentStorageId(name, 0));
        var held = FaultInjectingGrainStorage.HoldWrites(SegmentStorageId(name, 0));

        var first = Queue(name).Claim("worker-0", LeaseIds.New(), Ttl, TimeSpan.Zero);
        await held.Arrived.WaitAsync(LongWait);
        var others = Enumerable.Range(1, 9).Select(i => Queue(name).Claim($"worker-{i}", LeaseIds.New(), Ttl, TimeSpan.Zero)).ToList();
        await Eventually.ReturnsAsync(() => Task.FromResult(GrainCallArrivals.QueueSegmentCallsOf(segmentKey, nameof(IQueueSegment.Claim))), calls => calls == 10, "ten claims at the segment");
        held.Open();

        var claims = await Task.WhenAll(others.Prepend(first)).WaitAsync(LongWait);
        Assert.Equal(10, claims.Select(claim => claim!.TaskId).Distinct().Count());
        Assert.Equal(writesBefore + 2, FaultInjectingGrainStorage.WritesOf(SegmentStorageId(name, 0)));
    }

    [Fact]
    public async Task A_claim_is_not_queued_behind_the_directorys_own_write()
    {
        var name = LockNames.Unique("q-routing");
        await Queue(name).Enqueue(Enumerable.Range(0, WorkQueueOptions.DefaultSegmentCapacity).Select(i => new NewTask($"task-{i}")).ToList());
        var held = FaultInjectingGrainStorage.HoldWrites(WorkQueueStorage.DirectoryKeyFor(name));

        // The first segment is full, so this enqueue opens a second one: a directory write, held at the gate.
        var enqueue = Queue(name).Enqueue(Payloads("into a new segment"));
        await held.Arrived.WaitAsync(LongWait);
        var claimed = await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero).WaitAsync(LongWait);

        Assert.Equal("0-0", claimed?.TaskId);
        Assert.False(enqueue.IsCompleted);
        held.Open();
        Assert.Equal(["1-0"], await enqueue.WaitAsync(LongWait));
    }

    [Fact]
    public async Task A_full_wait_queue_refuses_the_next_claimer_at_once()
    {
        var name = LockNames.Unique("q-waiters-full");
        using var cancel = new CancellationTokenSource();
        var waiting = Enumerable.Range(0, InMemoryClusterFixture.MaxWaiters)
            .Select(i => Queue(name).Claim($"waiter-{i}", LeaseIds.New(), Ttl, LongWait, cancel.Token))
            .ToArray();
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == InMemoryClusterFixture.MaxWaiters, "a full wait queue");

        var error = await Assert.ThrowsAsync<LockQueueFullException>(() => Queue(name).Claim("one-too-many", LeaseIds.New(), Ttl, LongWait));
        Assert.Contains($"MaxWaiters = {InMemoryClusterFixture.MaxWaiters}", error.Message);

        cancel.Cancel();
        await Task.WhenAll(waiting.Select(claim => claim.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == 0, "an empty wait queue");
    }

    private static GrainId SegmentStorageId(string name, long segment) => WorkQueueStorage.SegmentKeyFor(WorkQueueTaskIds.SegmentKey(name, segment));
}
