using System.Runtime.CompilerServices;
using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LockService.Tests.Client;

/// <summary>
/// The handle API, in the shape of DistributedLock's core test cases, against every backend.
/// </summary>
public abstract class LockHandleTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    protected TFixture Fixture { get; } = fixture;

    protected LockProvider Locks { get; } = new(fixture.Grains, Options.Create(new LockClientOptions()));

    protected ILockGrain Grain(string name) => Fixture.Grains.GetGrain<ILockGrain>(name);

    [Fact]
    public async Task TryAcquire_returns_a_handle_and_a_second_try_returns_null()
    {
        var name = LockNames.Unique("handle-try");
        await using var handle = await Locks.CreateLock(name).TryAcquireAsync();
        Assert.NotNull(handle);
        Assert.Equal(name, handle.Name);
        Assert.Equal(1, handle.FencingToken);
        Assert.False(handle.HandleLostToken.IsCancellationRequested);
        Assert.Equal(handle.Owner, (await Grain(name).Describe()).Holder);

        Assert.Null(await Locks.CreateLock(name).TryAcquireAsync());
        Assert.Null(await Locks.CreateLock(name).TryAcquireAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Acquire_throws_TimeoutException_when_the_lock_stays_held()
    {
        var name = LockNames.Unique("handle-timeout");
        await using var holder = await Locks.CreateLock(name).AcquireAsync();
        await Assert.ThrowsAsync<TimeoutException>(() => Locks.CreateLock(name).AcquireAsync(TimeSpan.FromMilliseconds(300)).AsTask());
        Assert.Equal(0, (await Grain(name).Describe()).WaitingCount);
    }

    [Fact]
    public async Task Dispose_releases_once_and_is_idempotent()
    {
        var name = LockNames.Unique("handle-dispose");
        var handle = (await Locks.CreateLock(name).TryAcquireAsync())!;
        await handle.DisposeAsync();
        await handle.DisposeAsync();
        handle.Dispose();

        Assert.False((await Grain(name).Describe()).IsHeld);
        await using var next = await Locks.CreateLock(name).TryAcquireAsync();
        Assert.NotNull(next);
        Assert.True(next.FencingToken > handle.FencingToken);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.ExtendAsync().AsTask());
    }

    [Fact]
    public async Task A_waiter_gets_the_lock_when_the_holder_releases()
    {
        var name = LockNames.Unique("handle-wait");
        var holder = await Locks.CreateLock(name).AcquireAsync();
        var waiting = Locks.CreateLock(name).AcquireAsync(Patience).AsTask();
        await WaitForWaitersAsync(name, 1);

        await holder.DisposeAsync();
        await using var next = await waiting;
        Assert.True(next.FencingToken > holder.FencingToken);
        Assert.Equal(next.Owner, (await Grain(name).Describe()).Holder);
    }

    [Fact]
    public async Task Cancelling_a_wait_removes_the_waiter_and_it_is_never_granted()
    {
        var name = LockNames.Unique("handle-cancel");
        var holder = await Locks.CreateLock(name).AcquireAsync();
        using var cancel = new CancellationTokenSource();
        var waiting = Locks.CreateLock(name).AcquireAsync(Patience, cancel.Token).AsTask();
        await WaitForWaitersAsync(name, 1);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await WaitForWaitersAsync(name, 0);

        await holder.DisposeAsync();
        var description = await Grain(name).Describe();
        Assert.False(description.IsHeld);
        Assert.Equal(holder.FencingToken, description.FencingToken);
    }

    [Fact]
    public async Task Twenty_waiters_are_served_first_come_first_served()
    {
        var name = LockNames.Unique("handle-fifo");
        var holder = await Locks.CreateLock(name).AcquireAsync();
        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 20; i++)
        {
            var position = i;
            waiters.Add(Task.Run(async () =>
            {
                await using var handle = await Locks.CreateLock(name).AcquireAsync(Patience);
                lock (order)
                {
                    order.Add(position);
                }
            }));
            await WaitForWaitersAsync(name, i + 1);
        }

        await holder.DisposeAsync();
        await Task.WhenAll(waiters).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, 20), order);
    }

    [Fact]
    public async Task The_holders_expiry_wakes_the_next_waiter()
    {
        var name = LockNames.Unique("handle-expiry-wakes");
        var stale = await Grain(name).TryAcquire("crashed-holder", TimeSpan.FromSeconds(30));
        var waiting = Locks.CreateLock(name).AcquireAsync(Patience).AsTask();
        await WaitForWaitersAsync(name, 1);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        await using var next = await waiting.WaitAsync(Patience);
        Assert.True(next.FencingToken > stale.FencingToken);
    }

    [Fact]
    public async Task The_handle_is_lost_when_an_operator_force_releases_the_lock()
    {
        var name = LockNames.Unique("handle-forced");
        await using var handle = (await Locks.CreateLock(name, new LockOptions { RenewInterval = TimeSpan.FromMilliseconds(200) }).TryAcquireAsync())!;

        Assert.Equal(LockOutcome.Released, (await Grain(name).ForceRelease()).Outcome);

        await WaitForLostAsync(handle);
        Assert.False(await handle.ExtendAsync());
        var next = await Grain(name).TryAcquire("next-owner", TimeSpan.FromSeconds(30));
        Assert.True(next.FencingToken > handle.FencingToken);
    }

    [Fact]
    public async Task The_handle_is_lost_when_its_lease_expired_on_the_server()
    {
        var name = LockNames.Unique("handle-expired");
        await using var handle = (await Locks.CreateLock(name, new LockOptions { RenewInterval = TimeSpan.FromMilliseconds(200) }).TryAcquireAsync())!;

        // The server's lock clock jumps past the lease: its next refresh is refused.
        Fixture.Clock.Advance(TimeSpan.FromMinutes(5));

        await WaitForLostAsync(handle);
    }

    [Fact]
    public async Task Extend_renews_with_a_new_length()
    {
        var name = LockNames.Unique("handle-extend");
        await using var handle = (await Locks.CreateLock(name).TryAcquireAsync())!;
        var before = handle.ExpiresAt;
        Fixture.Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await handle.ExtendAsync(TimeSpan.FromMinutes(10)));
        Assert.True(handle.ExpiresAt > before + TimeSpan.FromMinutes(5));
        Assert.Equal(handle.ExpiresAt, (await Grain(name).Describe()).ExpiresAt);
    }

    [Fact]
    public async Task An_abandoned_handle_stops_renewing_so_its_lease_runs_out()
    {
        var name = LockNames.Unique("handle-abandoned");
        var keeper = await AcquireAndDropHandleAsync(name);

        await Eventually.ReturnsAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return Task.FromResult(keeper.IsStopped);
            },
            stopped => stopped,
            "the abandoned handle's renewal to stop");
        await keeper.Running.WaitAsync(Patience);

        var lastRenewal = (await Grain(name).Describe()).ExpiresAt!.Value;
        Fixture.Clock.Advance(lastRenewal - Fixture.Clock.GetUtcNow() + TimeSpan.FromMilliseconds(1));
        Assert.False((await Grain(name).Describe()).IsHeld);
    }

    [Fact]
    public async Task A_maximum_hold_time_ends_the_renewal_and_the_handle_is_lost_when_the_lease_runs_out()
    {
        var name = LockNames.Unique("handle-max-hold");
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromMilliseconds(200), MaxHoldTime = TimeSpan.FromMilliseconds(500) };
        await using var handle = (await Locks.CreateLock(name, options).TryAcquireAsync())!;

        await WaitForLostAsync(handle);
        Assert.True(handle.Keeper.IsStopped);
    }

    [Fact]
    public async Task A_retried_wait_whose_grant_landed_finds_the_same_grant()
    {
        var name = LockNames.Unique("handle-retry");
        var first = await Grain(name).TryAcquire("owner-retrying", TimeSpan.FromSeconds(30));
        var retried = await Grain(name).Acquire("owner-retrying", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        Assert.Equal(LockOutcome.Granted, retried.Outcome);
        Assert.Equal(first.FencingToken, retried.FencingToken);
    }

    [Fact]
    public async Task A_waiter_whose_wait_call_ended_keeps_its_place_for_its_next_call()
    {
        var name = LockNames.Unique("wait-resume");
        var holder = await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        Assert.Equal(LockOutcome.Busy, (await Grain(name).Acquire("first", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200))).Outcome);
        var second = Grain(name).Acquire("second", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
        await WaitForWaitersAsync(name, 2);
        var first = Grain(name).Acquire("first", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
        // Calls from one client to one activation arrive in order: once this third waiter is counted, "first" is
        // listening again.
        using var cancelThird = new CancellationTokenSource();
        var third = Grain(name).Acquire("third", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), cancelThird.Token);
        await WaitForWaitersAsync(name, 3);

        await Grain(name).Release("holder", holder.FencingToken);

        Assert.Equal(LockOutcome.Granted, (await first).Outcome);
        Assert.False(second.IsCompleted);
        await Grain(name).Release("first", (await first).FencingToken);
        Assert.Equal(LockOutcome.Granted, (await second).Outcome);
        cancelThird.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
    }

    [Fact]
    public async Task A_waiter_that_stopped_calling_is_dropped_and_never_granted()
    {
        var name = LockNames.Unique("wait-ghost");
        var holder = await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        // A client that vanished: its wait call ended and no next call comes.
        Assert.Equal(LockOutcome.Busy, (await Grain(name).Acquire("ghost", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200))).Outcome);

        var released = await Grain(name).Release("holder", holder.FencingToken);

        Assert.Null(released.Holder);
        Assert.False((await Grain(name).Describe()).IsHeld);
        // Its place is kept for a short grace in case it calls again, then dropped.
        await WaitForWaitersAsync(name, 0);
        Assert.False((await Grain(name).Describe()).IsHeld);
    }

    [Fact]
    public async Task A_thousand_waiters_on_one_lock_are_each_served_exactly_once()
    {
        var name = LockNames.Unique("handle-thousand");
        var holders = 0;
        var overlaps = 0;
        var tokens = new System.Collections.Concurrent.ConcurrentBag<long>();
        var waiters = Enumerable.Range(0, 1000).Select(_ => Task.Run(async () =>
        {
            await using var handle = await Locks.CreateLock(name).AcquireAsync(TimeSpan.FromMinutes(10));
            if (Interlocked.Increment(ref holders) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            tokens.Add(handle.FencingToken);
            Interlocked.Decrement(ref holders);
        })).ToArray();

        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMinutes(10));
        Assert.Equal(0, overlaps);
        Assert.Equal(1000, tokens.Distinct().Count());
        Assert.Equal(0, (await Grain(name).Describe()).WaitingCount);
    }

    [Fact]
    public async Task Invalid_names_and_options_are_rejected_before_any_call()
    {
        Assert.Contains("lock name", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateLock("")).Message);
        Assert.Contains("lock name", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateLock("bad\0name")).Message);
        Assert.Contains("Ttl", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateLock("x", new LockOptions { Ttl = TimeSpan.Zero })).Message);
        Assert.Contains("RenewInterval", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateLock("x", new LockOptions { RenewInterval = TimeSpan.FromMinutes(1) })).Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Locks.CreateLock("x").TryAcquireAsync(TimeSpan.FromSeconds(-2)).AsTask());
    }

    protected Task WaitForWaitersAsync(string name, int count) =>
        Eventually.ReturnsAsync(() => Grain(name).Describe(), d => d.WaitingCount == count, $"{count} waiters on {name}");

    protected static Task WaitForLostAsync(LockHandle handle) =>
        Eventually.ReturnsAsync(() => Task.FromResult(handle.HandleLostToken.IsCancellationRequested), lost => lost, "the handle to be lost");

    // Not inlined, so no local of the caller keeps the handle alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<LeaseKeeper> AcquireAndDropHandleAsync(string name)
    {
        var handle = await Locks.CreateLock(name, new LockOptions { RenewInterval = TimeSpan.FromMilliseconds(200) }).TryAcquireAsync();
        return handle!.Keeper;
    }
}
