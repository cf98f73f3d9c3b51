using LockService.Semaphores;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Semaphores;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemorySemaphoreGrainTests(InMemoryClusterFixture fixture) : SemaphoreGrainTestCases<InMemoryClusterFixture>(fixture)
{
    [Fact]
    public async Task A_storage_failure_fails_the_grant_closed()
    {
        var name = LockNames.Unique("sem-storage-failure");
        FaultInjectingGrainStorage.FailNextWrite(SemaphoreStorage.KeyFor(name), () => new TimeoutException("database unreachable"));

        var error = await Assert.ThrowsAsync<LockStorageException>(() => Semaphore(name).TryAcquire("server-1", LeaseIds.New(), 2, Ttl));
        Assert.Contains("failed closed", error.Message);

        Assert.Empty((await Semaphore(name).Describe()).Holders);
        Assert.False((await ReadStoredRecordAsync(name)).Exists);
        var grant = await Semaphore(name).TryAcquire("server-2", LeaseIds.New(), 2, Ttl);
        Assert.Equal((LockOutcome.Granted, 0, 1L), (grant.Outcome, grant.Slot!.Value, grant.FencingToken));
    }

    [Fact]
    public async Task A_storage_failure_during_a_handoff_grants_no_waiter_and_keeps_the_holder()
    {
        var name = LockNames.Unique("sem-handoff-failure");
        var holder = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder", holder, 1, Ttl);
        var waiting = Semaphore(name).Acquire("waiter", LeaseIds.New(), 1, Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 1, "the waiter in the queue");
        FaultInjectingGrainStorage.FailNextWrite(SemaphoreStorage.KeyFor(name), () => new TimeoutException("database unreachable"));

        await Assert.ThrowsAsync<LockStorageException>(() => Semaphore(name).Release(holder));

        // Neither the release nor the waiter's grant happened: the waiter hears the error, not a grant.
        await Assert.ThrowsAsync<LockStorageException>(() => waiting.WaitAsync(LongWait));
        var description = await Semaphore(name).Describe();
        Assert.Equal(("holder", 1L), (description.Holders.Single().Owner, description.FencingToken));
        Assert.Equal("holder", (await ReadStoredAsync(name)).Leases.Single().Owner);
    }

    [Fact]
    public async Task A_full_wait_queue_refuses_the_next_caller_at_once()
    {
        var name = LockNames.Unique("sem-queue-full");
        await Semaphore(name).TryAcquire("holder", LeaseIds.New(), 1, TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource();
        var waiters = Enumerable.Range(0, InMemoryClusterFixture.MaxWaiters)
            .Select(i => Semaphore(name).Acquire($"waiter-{i}", LeaseIds.New(), 1, Ttl, TimeSpan.FromMinutes(5), cancel.Token))
            .ToArray();
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == InMemoryClusterFixture.MaxWaiters, "a full queue");

        var error = await Assert.ThrowsAsync<LockQueueFullException>(() => Semaphore(name).Acquire("one-too-many", LeaseIds.New(), 1, Ttl, TimeSpan.FromMinutes(5)));
        Assert.Contains($"MaxWaiters = {InMemoryClusterFixture.MaxWaiters}", error.Message);

        cancel.Cancel();
        await Task.WhenAll(waiters.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 0, "an empty queue");
    }
}
