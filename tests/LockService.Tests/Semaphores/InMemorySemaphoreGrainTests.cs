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
    public async Task Releases_that_arrive_while_a_write_is_in_flight_share_the_next_write_with_the_grants_they_make()
    {
        var name = LockNames.Unique("sem-coalesced");
        var (holders, waiting) = await FullSemaphoreWithWaitersAsync(name, 3);
        var held = FaultInjectingGrainStorage.HoldWrites(SemaphoreStorage.KeyFor(name));
        var writesBefore = FaultInjectingGrainStorage.WritesOf(SemaphoreStorage.KeyFor(name));
        var releasesBefore = GrainCallArrivals.SemaphoreCallsOf(name, nameof(ISemaphoreGrain.Release));

        // The first release's write (with the first waiter's grant) is held open; the other two arrive meanwhile.
        var releases = new List<Task<SemaphoreResult>> { Semaphore(name).Release(holders[0]) };
        await held.Arrived.WaitAsync(LongWait);
        releases.Add(Semaphore(name).Release(holders[1]));
        releases.Add(Semaphore(name).Release(holders[2]));
        await Eventually.ReturnsAsync(
            () => Task.FromResult(GrainCallArrivals.SemaphoreCallsOf(name, nameof(ISemaphoreGrain.Release)) - releasesBefore),
            count => count == 3,
            "the other two releases at the semaphore while the first one's write is held");
        Assert.False(waiting.Any(wait => wait.IsCompleted), "a waiter heard of its grant before it was durable");
        held.Open();

        Assert.All(await Task.WhenAll(releases).WaitAsync(LongWait), release => Assert.Equal(LockOutcome.Released, release.Outcome));
        var grants = await Task.WhenAll(waiting).WaitAsync(LongWait);

        // Two writes for three releases and three grants: the first alone, the two that queued behind it together.
        Assert.Equal(2, FaultInjectingGrainStorage.WritesOf(SemaphoreStorage.KeyFor(name)) - writesBefore);
        Assert.All(grants, grant => Assert.Equal(LockOutcome.Granted, grant.Outcome));
        Assert.Equal([0, 1, 2], grants.Select(grant => grant.Slot!.Value).Order());
        Assert.Equal([4L, 5L, 6L], grants.Select(grant => grant.FencingToken));
        var stored = await ReadStoredAsync(name);
        Assert.Equal(["waiter-0", "waiter-1", "waiter-2"], stored.Leases.OrderBy(lease => lease.FencingToken).Select(lease => lease.Owner));
        Assert.Equal(6L, stored.FencingToken);
    }

    [Fact]
    public async Task A_failed_shared_write_fails_every_release_and_grant_it_carried_closed()
    {
        var name = LockNames.Unique("sem-coalesced-failure");
        var (holders, waiting) = await FullSemaphoreWithWaitersAsync(name, 3);
        var held = FaultInjectingGrainStorage.HoldWrites(SemaphoreStorage.KeyFor(name));
        var releasesBefore = GrainCallArrivals.SemaphoreCallsOf(name, nameof(ISemaphoreGrain.Release));

        var releases = new List<Task<SemaphoreResult>> { Semaphore(name).Release(holders[0]) };
        await held.Arrived.WaitAsync(LongWait);
        releases.Add(Semaphore(name).Release(holders[1]));
        releases.Add(Semaphore(name).Release(holders[2]));
        await Eventually.ReturnsAsync(
            () => Task.FromResult(GrainCallArrivals.SemaphoreCallsOf(name, nameof(ISemaphoreGrain.Release)) - releasesBefore),
            count => count == 3,
            "the other two releases at the semaphore while the first one's write is held");

        // The held write fails, and so does the next one, which carries the other two releases together.
        held.Fail(new TimeoutException("database unreachable"));
        foreach (var release in releases)
        {
            Assert.Contains("failed closed", (await Assert.ThrowsAsync<LockStorageException>(() => release.WaitAsync(LongWait))).Message);
        }

        foreach (var wait in waiting)
        {
            await Assert.ThrowsAsync<LockStorageException>(() => wait.WaitAsync(LongWait));
        }

        Assert.Equal(2, held.Count);
        held.Open();

        // Nothing of it happened: the three holders still hold, nobody else does, no token was spent.
        var description = await Semaphore(name).Describe();
        Assert.Equal(["holder-0", "holder-1", "holder-2"], description.Holders.Select(holder => holder.Owner));
        Assert.Equal((3L, 0), (description.FencingToken, description.WaitingCount));
        Assert.Equal(3, (await ReadStoredAsync(name)).Leases.Count);
        Assert.Equal(LockOutcome.Released, (await Semaphore(name).Release(holders[0])).Outcome);
    }

    /// <summary>A semaphore of <paramref name="max"/> slots, all held, with as many waiters queued behind them.</summary>
    private async Task<(string[] Holders, Task<SemaphoreResult>[] Waiting)> FullSemaphoreWithWaitersAsync(string name, int max)
    {
        var holders = Enumerable.Range(0, max).Select(_ => LeaseIds.New()).ToArray();
        for (var i = 0; i < max; i++)
        {
            Assert.True((await Semaphore(name).TryAcquire($"holder-{i}", holders[i], max, Ttl)).Acquired);
        }

        var waiting = new Task<SemaphoreResult>[max];
        for (var i = 0; i < max; i++)
        {
            waiting[i] = Semaphore(name).Acquire($"waiter-{i}", LeaseIds.New(), max, Ttl, LongWait);
            var queued = i + 1;
            await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == queued, $"waiter {i} in the queue");
        }

        return (holders, waiting);
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
