using System.Collections.Concurrent;
using LockService.Grains;
using LockService.Semaphores;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Semaphores;

/// <summary>
/// The semaphore rules, run against every backend through a real Orleans client. Subclasses bind them to a cluster.
/// </summary>
public abstract class SemaphoreGrainTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    protected static readonly TimeSpan LongWait = TimeSpan.FromMinutes(2);

    protected TFixture Fixture { get; } = fixture;

    protected ISemaphoreGrain Semaphore(string name) => Fixture.Grains.GetGrain<ISemaphoreGrain>(name);

    [Fact]
    public async Task Slots_are_granted_lowest_first_up_to_the_limit_then_refused()
    {
        var name = LockNames.Unique("sem-grant");
        var grants = new List<SemaphoreResult>();
        for (var i = 0; i < 3; i++)
        {
            grants.Add(await Semaphore(name).TryAcquire($"server-{i}", LeaseIds.New(), 3, Ttl));
        }

        Assert.All(grants, grant => Assert.Equal(LockOutcome.Granted, grant.Outcome));
        Assert.Equal([0, 1, 2], grants.Select(grant => grant.Slot!.Value));
        Assert.Equal([1L, 2L, 3L], grants.Select(grant => grant.FencingToken));
        Assert.Equal([1, 2, 3], grants.Select(grant => grant.HolderCount));
        Assert.All(grants, grant => Assert.Equal(grant.AcquiredAt + Ttl, grant.ExpiresAt));

        var refused = await Semaphore(name).TryAcquire("server-3", LeaseIds.New(), 3, Ttl);
        Assert.Equal(LockOutcome.Busy, refused.Outcome);
        Assert.False(refused.Acquired);
        Assert.Null(refused.Slot);
        Assert.Equal((3L, 3, 3), (refused.FencingToken, refused.MaxCount, refused.HolderCount));

        var description = await Semaphore(name).Describe();
        Assert.Equal((3, 3L, 0), (description.MaxCount, description.FencingToken, description.WaitingCount));
        Assert.Equal(["server-0", "server-1", "server-2"], description.Holders.Select(holder => holder.Owner));
        Assert.Equal([0, 1, 2], description.Holders.Select(holder => holder.Slot));

        var stored = await ReadStoredAsync(name);
        Assert.Equal(3, stored.Leases.Count);
        Assert.DoesNotContain(stored.Leases, lease => lease.LeaseIdHash.Length != 64);
    }

    [Fact]
    public async Task The_same_lease_id_asking_again_gets_the_same_slot_and_token_extended()
    {
        var name = LockNames.Unique("sem-retry");
        var leaseId = LeaseIds.New();
        await Semaphore(name).TryAcquire("server-0", LeaseIds.New(), 2, Ttl);
        var first = await Semaphore(name).TryAcquire("server-1", leaseId, 2, Ttl);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(10));

        var again = await Semaphore(name).TryAcquire("server-1", leaseId, 2, Ttl);

        Assert.Equal(LockOutcome.Renewed, again.Outcome);
        Assert.Equal((first.Slot, first.FencingToken, first.AcquiredAt), (again.Slot, again.FencingToken, again.AcquiredAt));
        Assert.Equal(first.ExpiresAt + TimeSpan.FromSeconds(10), again.ExpiresAt);
        Assert.Equal(2, again.HolderCount);
        Assert.Equal(2, (await Semaphore(name).Describe()).Holders.Count);

        // A waiting acquire retried after its grant landed finds the grant too, not a second slot.
        var waited = await Semaphore(name).Acquire("server-1", leaseId, 2, Ttl, TimeSpan.Zero);
        Assert.Equal((LockOutcome.Granted, first.Slot, first.FencingToken), (waited.Outcome, waited.Slot, waited.FencingToken));
    }

    [Fact]
    public async Task Only_a_valid_lease_can_refresh_and_release_is_idempotent()
    {
        var name = LockNames.Unique("sem-refresh");
        var leaseId = LeaseIds.New();
        var grant = await Semaphore(name).TryAcquire("server-1", leaseId, 1, Ttl);

        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(LeaseIds.New(), Ttl)).Outcome);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        var refreshed = await Semaphore(name).Refresh(leaseId, TimeSpan.FromMinutes(2));
        Assert.Equal(LockOutcome.Renewed, refreshed.Outcome);
        Assert.Equal((grant.Slot, grant.FencingToken), (refreshed.Slot, refreshed.FencingToken));
        Assert.Equal(grant.AcquiredAt + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(2), refreshed.ExpiresAt);
        Assert.Equal(refreshed.ExpiresAt, (await ReadStoredAsync(name)).Leases.Single().ExpiresAt);

        Assert.Equal(LockOutcome.AlreadyReleased, (await Semaphore(name).Release(LeaseIds.New())).Outcome);
        Assert.Single((await Semaphore(name).Describe()).Holders);
        var released = await Semaphore(name).Release(leaseId);
        Assert.Equal((LockOutcome.Released, 0), (released.Outcome, released.HolderCount));
        Assert.Equal(LockOutcome.AlreadyReleased, (await Semaphore(name).Release(leaseId)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(leaseId, Ttl)).Outcome);

        var next = await Semaphore(name).TryAcquire("server-2", LeaseIds.New(), 1, Ttl);
        Assert.Equal((LockOutcome.Granted, 0, grant.FencingToken + 1), (next.Outcome, next.Slot!.Value, next.FencingToken));
    }

    [Fact]
    public async Task One_expired_lease_frees_exactly_its_slot()
    {
        var name = LockNames.Unique("sem-expiry");
        var shortLeaseId = LeaseIds.New();
        await Semaphore(name).TryAcquire("long-0", LeaseIds.New(), 3, TimeSpan.FromMinutes(5));
        var expiring = await Semaphore(name).TryAcquire("short", shortLeaseId, 3, TimeSpan.FromSeconds(10));
        await Semaphore(name).TryAcquire("long-2", LeaseIds.New(), 3, TimeSpan.FromMinutes(5));
        Assert.Equal(1, expiring.Slot);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(11));

        var description = await Semaphore(name).Describe();
        Assert.Equal([0, 2], description.Holders.Select(holder => holder.Slot));
        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(shortLeaseId, Ttl)).Outcome);
        var next = await Semaphore(name).TryAcquire("newcomer", LeaseIds.New(), 3, Ttl);
        Assert.Equal((LockOutcome.Granted, 1, 4L), (next.Outcome, next.Slot!.Value, next.FencingToken));
        Assert.Equal(LockOutcome.Busy, (await Semaphore(name).TryAcquire("late", LeaseIds.New(), 3, Ttl)).Outcome);
        Assert.DoesNotContain((await ReadStoredAsync(name)).Leases, lease => lease.Owner == "short");
    }

    [Fact]
    public async Task Thirty_two_concurrent_clients_never_exceed_the_limit_and_every_token_is_distinct()
    {
        var name = LockNames.Unique("sem-concurrent");
        const int max = 3;
        var holding = 0;
        var mostHolding = 0;
        var slotHolders = new int[max];
        var tokens = new ConcurrentBag<long>();
        var overlaps = new ConcurrentBag<string>();

        async Task ClientAsync(int client)
        {
            var random = new Random(client);
            for (var round = 0; round < 5; round++)
            {
                var leaseId = LeaseIds.New();
                var grant = random.Next(2) == 0
                    ? await Semaphore(name).Acquire($"client-{client}", leaseId, max, TimeSpan.FromMinutes(5), LongWait)
                    : await TryUntilGrantedAsync(name, $"client-{client}", leaseId, max);
                Assert.Equal(LockOutcome.Granted, grant.Outcome);

                // From the grant's arrival to the release's sending this client holds; the silo's hold is longer, so
                // an overlap seen here is an overlap there.
                var now = Interlocked.Increment(ref holding);
                InterlockedMax(ref mostHolding, now);
                if (grant.HolderCount > max)
                {
                    overlaps.Add($"holder count {grant.HolderCount}");
                }

                if (Interlocked.CompareExchange(ref slotHolders[grant.Slot!.Value], client + 1, 0) != 0)
                {
                    overlaps.Add($"slot {grant.Slot} granted twice");
                }

                tokens.Add(grant.FencingToken);
                await Task.Delay(random.Next(0, 20));
                Interlocked.Exchange(ref slotHolders[grant.Slot!.Value], 0);
                Interlocked.Decrement(ref holding);
                Assert.Equal(LockOutcome.Released, (await Semaphore(name).Release(leaseId)).Outcome);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 32).Select(client => Task.Run(() => ClientAsync(client))));

        Assert.Empty(overlaps);
        Assert.InRange(mostHolding, 1, max);
        Assert.Equal(32 * 5, tokens.Count);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        var description = await Semaphore(name).Describe();
        Assert.Equal((32L * 5, 0, 0), (description.FencingToken, description.Holders.Count, description.WaitingCount));
    }

    [Fact]
    public async Task Ten_waiters_are_granted_first_come_first_served()
    {
        var name = LockNames.Unique("sem-fifo");
        var holderLeaseId = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder", holderLeaseId, 1, Ttl);
        var order = new ConcurrentQueue<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 10; i++)
        {
            var index = i;
            waiters.Add(Task.Run(async () =>
            {
                var leaseId = LeaseIds.New();
                var grant = await Semaphore(name).Acquire($"waiter-{index}", leaseId, 1, Ttl, LongWait);
                Assert.Equal(LockOutcome.Granted, grant.Outcome);
                order.Enqueue(index);
                await Semaphore(name).Release(leaseId);
            }));
            await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == index + 1, $"waiter {index} in the queue");
        }

        // A try never jumps the queue, even the moment a slot frees up.
        Assert.Equal(LockOutcome.Busy, (await Semaphore(name).TryAcquire("jumper", LeaseIds.New(), 1, Ttl)).Outcome);
        await Semaphore(name).Release(holderLeaseId);
        await Task.WhenAll(waiters).WaitAsync(LongWait);

        Assert.Equal(Enumerable.Range(0, 10), order);
    }

    [Fact]
    public async Task A_waiter_is_granted_when_a_holder_expires_without_any_call()
    {
        var name = LockNames.Unique("sem-expiry-push");
        await Semaphore(name).TryAcquire("holder", LeaseIds.New(), 1, TimeSpan.FromSeconds(10));
        var waiting = Semaphore(name).Acquire("waiter", LeaseIds.New(), 1, Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 1, "the waiter in the queue");

        Fixture.Clock.Advance(TimeSpan.FromSeconds(11));

        var grant = await waiting.WaitAsync(LongWait);
        Assert.Equal((LockOutcome.Granted, 0, 2L), (grant.Outcome, grant.Slot!.Value, grant.FencingToken));
    }

    [Fact]
    public async Task A_limit_other_than_the_stored_one_is_refused_and_changes_nothing()
    {
        var name = LockNames.Unique("sem-mismatch");
        var grant = await Semaphore(name).TryAcquire("server-1", LeaseIds.New(), 2, Ttl);
        var before = await Semaphore(name).Describe();

        var error = await Assert.ThrowsAsync<SemaphoreLimitMismatchException>(() => Semaphore(name).TryAcquire("server-2", LeaseIds.New(), 3, Ttl));
        Assert.Equal((name, 2, 3), (error.SemaphoreName, error.StoredMaxCount, error.RequestedMaxCount));
        Assert.Contains("limit 2", error.Message);
        Assert.Contains("asked for 3", error.Message);
        await Assert.ThrowsAsync<SemaphoreLimitMismatchException>(() => Semaphore(name).Acquire("server-2", LeaseIds.New(), 1, Ttl, TimeSpan.Zero));

        var after = await Semaphore(name).Describe();
        Assert.Equal((before.MaxCount, before.FencingToken, before.WaitingCount), (after.MaxCount, after.FencingToken, after.WaitingCount));
        Assert.Equal(before.Holders, after.Holders);
        Assert.Equal(2, (await ReadStoredAsync(name)).MaxCount);
        Assert.Equal(grant.FencingToken + 1, (await Semaphore(name).TryAcquire("server-2", LeaseIds.New(), 2, Ttl)).FencingToken);
    }

    [Fact]
    public async Task Raising_the_limit_grants_waiters_at_once_and_lowering_it_revokes_nobody()
    {
        var name = LockNames.Unique("sem-set-limit");
        var first = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder-0", first, 1, Ttl);
        var waiterLeaseIds = new[] { LeaseIds.New(), LeaseIds.New() };
        var waiting = waiterLeaseIds.Select((leaseId, i) => Semaphore(name).Acquire($"waiter-{i}", leaseId, 1, Ttl, LongWait)).ToList();
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 2, "two waiters in the queue");

        var raised = await Semaphore(name).SetLimit(3);

        // Granted by the limit change itself: its answer already lists them.
        Assert.Equal((3, 3, 0), (raised.MaxCount, raised.Holders.Count, raised.WaitingCount));
        var grants = await Task.WhenAll(waiting).WaitAsync(LongWait);
        Assert.Equal([1, 2], grants.Select(grant => grant.Slot!.Value).Order());
        Assert.Equal(3, (await ReadStoredAsync(name)).Leases.Count);

        // Clients must now ask with the new limit; lowering it keeps all three holders.
        var lowered = await Semaphore(name).SetLimit(1);
        Assert.Equal((1, 3), (lowered.MaxCount, lowered.Holders.Count));
        Assert.Equal(LockOutcome.Renewed, (await Semaphore(name).Refresh(first, Ttl)).Outcome);
        var newcomer = LeaseIds.New();
        Assert.Equal(LockOutcome.Busy, (await Semaphore(name).TryAcquire("newcomer", newcomer, 1, Ttl)).Outcome);

        // New grants wait until fewer than the new limit hold: two releases leave one holder, still the limit.
        await Semaphore(name).Release(waiterLeaseIds[0]);
        await Semaphore(name).Release(waiterLeaseIds[1]);
        Assert.Equal(LockOutcome.Busy, (await Semaphore(name).TryAcquire("newcomer", newcomer, 1, Ttl)).Outcome);
        await Semaphore(name).Release(first);
        var granted = await Semaphore(name).TryAcquire("newcomer", newcomer, 1, Ttl);
        Assert.Equal((LockOutcome.Granted, 0), (granted.Outcome, granted.Slot!.Value));
    }

    [Fact]
    public async Task Force_release_ends_one_slot_or_all_and_their_holders_cannot_refresh()
    {
        var name = LockNames.Unique("sem-force");
        var leaseIds = Enumerable.Range(0, 3).Select(_ => LeaseIds.New()).ToList();
        foreach (var leaseId in leaseIds)
        {
            await Semaphore(name).TryAcquire("server", leaseId, 3, Ttl);
        }

        Assert.Equal(1, await Semaphore(name).ForceRelease(1));
        Assert.Equal(0, await Semaphore(name).ForceRelease(1));
        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(leaseIds[1], Ttl)).Outcome);
        Assert.Equal([0, 2], (await Semaphore(name).Describe()).Holders.Select(holder => holder.Slot));

        Assert.Equal(2, await Semaphore(name).ForceRelease(null));
        Assert.Empty((await Semaphore(name).Describe()).Holders);
        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(leaseIds[0], Ttl)).Outcome);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Semaphore(name).ForceRelease(-1));
    }

    [Fact]
    public async Task Abandon_leaves_the_queue_and_releases_a_grant_whose_answer_was_lost()
    {
        var name = LockNames.Unique("sem-abandon");
        var holder = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder", holder, 1, Ttl);

        var gaveUp = LeaseIds.New();
        using var cancel = new CancellationTokenSource();
        var cancelled = Semaphore(name).Acquire("quitter", gaveUp, 1, Ttl, LongWait, cancel.Token);
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 1, "the waiter in the queue");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        // The client stops waiting at once; the cancellation reaches the grain a moment later.
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 0, "the cancelled waiter out of the queue");

        // The holder's grant "never arrived": abandoning it frees the slot for the next caller.
        var abandoned = await Semaphore(name).Abandon(holder);
        Assert.Equal(LockOutcome.Released, abandoned.Outcome);
        Assert.Equal(LockOutcome.AlreadyReleased, (await Semaphore(name).Abandon(holder)).Outcome);
        var next = await Semaphore(name).TryAcquire("next", LeaseIds.New(), 1, Ttl);
        Assert.Equal((LockOutcome.Granted, 2L), (next.Outcome, next.FencingToken));
    }

    [Fact]
    public async Task A_wait_that_timed_out_is_never_granted_afterwards()
    {
        var name = LockNames.Unique("sem-timeout");
        var holder = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder", holder, 1, Ttl);
        var late = LeaseIds.New();

        var timedOut = await Semaphore(name).Acquire("late", late, 1, Ttl, TimeSpan.FromMilliseconds(50));
        Assert.Equal(LockOutcome.Busy, timedOut.Outcome);
        await Semaphore(name).Release(holder);

        // Nobody listens for the timed-out caller's grant, so the freed slot goes to the next caller instead.
        var next = await Semaphore(name).TryAcquire("next", LeaseIds.New(), 1, Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(["next"], (await Semaphore(name).Describe()).Holders.Select(h => h.Owner));
        Assert.Equal(LockOutcome.NotHolder, (await Semaphore(name).Refresh(late, Ttl)).Outcome);
    }

    [Fact]
    public async Task The_reminder_reaps_expired_leases_even_after_deactivation()
    {
        var name = LockNames.Unique("sem-reaper");
        await Semaphore(name).TryAcquire("short-0", LeaseIds.New(), 2, TimeSpan.FromSeconds(5));
        var last = await Semaphore(name).TryAcquire("short-1", LeaseIds.New(), 2, TimeSpan.FromSeconds(5));
        Fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        await Fixture.Grains.GetGrain<ISemaphoreGrain>(name).Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        // Nobody calls the semaphore again: only the reminder can drop the stored leases. Its first tick is due just
        // after the leases end; the 1-minute period is the backstop, hence the deadline.
        var reaped = await Eventually.ReturnsAsync(
            () => ReadStoredAsync(name),
            stored => stored.Leases.Count == 0,
            "the reminder to drop the expired leases",
            TimeSpan.FromMinutes(3));

        Assert.Equal((2, last.FencingToken), (reaped.MaxCount, reaped.FencingToken));
        Assert.Equal(last.FencingToken + 1, (await Semaphore(name).TryAcquire("next", LeaseIds.New(), 2, Ttl)).FencingToken);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_rule_before_anything_changes()
    {
        var name = LockNames.Unique("sem-bad-input");
        var semaphore = Semaphore(name);
        var leaseId = LeaseIds.New();

        Assert.Contains("Invalid owner", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire(" ", leaseId, 2, Ttl))).Message);
        Assert.Contains("Invalid ttl", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", leaseId, 2, TimeSpan.Zero))).Message);
        Assert.Contains("Invalid ttl", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", leaseId, 2, TimeSpan.FromDays(400)))).Message);
        Assert.Contains("Invalid lease id", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", "short", 2, Ttl))).Message);
        Assert.Contains("Invalid lease id", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", new string('a', 30) + " ", 2, Ttl))).Message);
        Assert.Contains("Invalid lease id", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.Refresh("", Ttl))).Message);
        Assert.Contains("Invalid lease id", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.Release("bad/id"))).Message);
        Assert.Contains("Invalid max count", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", leaseId, 0, Ttl))).Message);
        Assert.Contains("configured cap", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.TryAcquire("server", leaseId, SemaphoreArguments.DefaultMaxCountCap + 1, Ttl))).Message);
        Assert.Contains("Invalid max count", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.SetLimit(-1))).Message);
        Assert.Contains("Invalid timeout", (await Assert.ThrowsAnyAsync<ArgumentException>(() => semaphore.Acquire("server", leaseId, 2, Ttl, TimeSpan.FromHours(1)))).Message);

        var badName = Semaphore("bad\0name");
        Assert.Contains("NUL", (await Assert.ThrowsAnyAsync<ArgumentException>(() => badName.TryAcquire("server", leaseId, 2, Ttl))).Message);
        Assert.Contains("at most", (await Assert.ThrowsAnyAsync<ArgumentException>(() => Semaphore(new string('n', LockArguments.MaxLength + 1)).Describe())).Message);

        var description = await semaphore.Describe();
        Assert.Equal((0, 0L, 0), (description.MaxCount, description.FencingToken, description.Holders.Count));
        Assert.False((await ReadStoredRecordAsync(name)).Exists);
    }

    /// <summary>Tries (never waits) until granted: a client that polls rather than queues.</summary>
    protected async Task<SemaphoreResult> TryUntilGrantedAsync(string name, string owner, string leaseId, int max)
    {
        return await Eventually.ReturnsAsync(
            () => Semaphore(name).TryAcquire(owner, leaseId, max, TimeSpan.FromMinutes(5)),
            result => result.Acquired,
            $"a slot for {owner}",
            LongWait);
    }

    /// <summary>What storage holds for a semaphore right now, read through a silo's own storage provider.</summary>
    protected async Task<SemaphoreState> ReadStoredAsync(string name) => (await ReadStoredRecordAsync(name)).State;

    protected async Task<(SemaphoreState State, bool Exists)> ReadStoredRecordAsync(string name)
    {
        var silo = (InProcessSiloHandle)Fixture.Cluster.GetActiveSilos().First();
        var storage = silo.SiloHost!.Services.GetRequiredKeyedService<IGrainStorage>(LockGrainServices.StorageProviderName);
        var state = new GrainState<SemaphoreState>(new SemaphoreState());
        await storage.ReadStateAsync(SemaphoreStorage.StateName, SemaphoreStorage.KeyFor(name), state);
        return (state.State ?? new SemaphoreState(), state.RecordExists);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
