using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LockService.Tests.Client;

/// <summary>
/// The semaphore handle API (issue #13) against every backend: keep-alive, loss, release, and the one lease id of an
/// acquisition that makes a retry find its own grant.
/// </summary>
public abstract class SemaphoreHandleTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static readonly LockOptions FastRenewal = new() { RenewInterval = TimeSpan.FromMilliseconds(200) };

    private readonly SemaphoreCallHooks _hooks = new();

    protected TFixture Fixture { get; } = fixture;

    /// <summary>The handle API, with every semaphore call recorded (and scriptable) client-side.</summary>
    protected LockProvider Locks => new(Fixture.Grains, Options.Create(new LockClientOptions()))
    {
        SemaphoreGrainInterceptor = grain => new ScriptedSemaphoreGrain(grain, _hooks),
    };

    protected ISemaphoreGrain Grain(string name) => Fixture.Grains.GetGrain<ISemaphoreGrain>(name);

    [Fact]
    public async Task Two_slots_go_to_two_handles_and_a_third_try_returns_null()
    {
        var name = LockNames.Unique("sem-try");
        await using var first = await Locks.CreateSemaphore(name, 2).TryAcquireAsync();
        await using var second = await Locks.CreateSemaphore(name, 2).TryAcquireAsync();
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal([0, 1], new[] { first.Slot, second.Slot }.Order());
        Assert.NotEqual(first.FencingToken, second.FencingToken);
        Assert.Equal(2, first.MaxCount);

        Assert.Null(await Locks.CreateSemaphore(name, 2).TryAcquireAsync());
        var holders = (await Grain(name).Describe()).Holders;
        Assert.Equal(2, holders.Count);
        Assert.Contains(holders, h => h.Owner == first.Owner && h.Slot == first.Slot && h.FencingToken == first.FencingToken);
    }

    [Fact]
    public async Task The_keep_alive_holds_the_slot_long_past_the_ttl()
    {
        var name = LockNames.Unique("sem-keepalive");
        var ttl = TimeSpan.FromSeconds(30);
        await using var handle = (await Locks.CreateSemaphore(name, 1, new LockOptions { Ttl = ttl, RenewInterval = TimeSpan.FromMilliseconds(200) }).TryAcquireAsync())!;

        // The server's clock moves 80 s in steps shorter than the TTL; after each, a renewal must land.
        for (var step = 0; step < 4; step++)
        {
            Fixture.Clock.Advance(TimeSpan.FromSeconds(20));
            var now = Fixture.Clock.GetUtcNow();
            await Eventually.ReturnsAsync(() => Task.FromResult(handle.ExpiresAt), expires => expires >= now + ttl, "a renewal after the server's clock moved");
        }

        var holder = Assert.Single((await Grain(name).Describe()).Holders);
        Assert.Equal((handle.Slot, handle.FencingToken), (holder.Slot, holder.FencingToken));
        Assert.False(handle.HandleLostToken.IsCancellationRequested);
        Assert.Null(await Locks.CreateSemaphore(name, 1).TryAcquireAsync());
    }

    [Fact]
    public async Task The_handle_is_lost_when_its_lease_expired_on_the_server()
    {
        var name = LockNames.Unique("sem-expired");
        await using var handle = (await Locks.CreateSemaphore(name, 1, FastRenewal).TryAcquireAsync())!;

        // The server's clock jumps past the lease: its next refresh is refused.
        Fixture.Clock.Advance(TimeSpan.FromMinutes(5));

        await WaitForLostAsync(handle);
        Assert.False(await handle.ExtendAsync());
        await using var next = await Locks.CreateSemaphore(name, 1).TryAcquireAsync();
        Assert.NotNull(next);
        Assert.True(next.FencingToken > handle.FencingToken);
    }

    [Fact]
    public async Task A_forced_release_of_one_slot_loses_that_handle_only()
    {
        var name = LockNames.Unique("sem-forced");
        await using var first = (await Locks.CreateSemaphore(name, 2, FastRenewal).TryAcquireAsync())!;
        await using var second = (await Locks.CreateSemaphore(name, 2, FastRenewal).TryAcquireAsync())!;

        Assert.Equal(1, await Grain(name).ForceRelease(first.Slot));

        await WaitForLostAsync(first);
        Assert.False(await first.ExtendAsync());
        Assert.True(await second.ExtendAsync());
        Assert.False(second.HandleLostToken.IsCancellationRequested);
        var holder = Assert.Single((await Grain(name).Describe()).Holders);
        Assert.Equal(second.Slot, holder.Slot);
    }

    [Fact]
    public async Task Dispose_frees_the_slot_once_and_is_idempotent()
    {
        var name = LockNames.Unique("sem-dispose");
        var handle = (await Locks.CreateSemaphore(name, 1).TryAcquireAsync())!;
        await handle.DisposeAsync();
        await handle.DisposeAsync();
        handle.Dispose();

        Assert.Empty((await Grain(name).Describe()).Holders);
        Assert.Single(_hooks.LeaseIdsOf(nameof(ISemaphoreGrain.Release)));
        await using var next = await Locks.CreateSemaphore(name, 1).TryAcquireAsync();
        Assert.NotNull(next);
        Assert.Equal(0, next.Slot);
        Assert.True(next.FencingToken > handle.FencingToken);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.ExtendAsync().AsTask());
    }

    [Fact]
    public async Task A_try_that_reaches_the_semaphore_after_its_withdrawal_is_withdrawn_again_once_it_answers()
    {
        // As for locks: a stalled silo can process the withdrawal of a timed-out try before the try itself.
        var name = LockNames.Unique("sem-late-try");
        var firstAbandonAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hooks.TryAcquire = async call =>
        {
            await firstAbandonAnswered.Task;
            return await call();
        };
        _hooks.Abandon = async call =>
        {
            var result = await call();
            firstAbandonAnswered.TrySetResult();
            return result;
        };

        var attempt = await Locks.CreateSemaphore(name, 2, new LockOptions { Ttl = TimeSpan.FromMinutes(5) }).TryAcquireAsync(TimeSpan.FromMilliseconds(200));

        Assert.Null(attempt);
        await Eventually.ReturnsAsync(() => Grain(name).Describe(), d => d.FencingToken == 1 && d.Holders.Count == 0, "the late try's grant to be withdrawn");
        Assert.Equal(2, _hooks.LeaseIdsOf(nameof(ISemaphoreGrain.Abandon)).Count());
    }

    [Fact]
    public async Task A_retry_after_a_lost_answer_gets_the_same_slot_and_token_and_one_lease_id_serves_every_call()
    {
        var name = LockNames.Unique("sem-retry");
        SemaphoreResult? landed = null;
        _hooks.TryAcquire = async call =>
        {
            var result = await call();
            if (Interlocked.CompareExchange(ref landed, result, null) is null)
            {
                throw new TimeoutException("injected: the grant landed, its answer was lost");
            }

            return result;
        };

        var handle = await Locks.CreateSemaphore(name, 3).TryAcquireAsync();
        Assert.NotNull(handle);
        Assert.Equal(LockOutcome.Granted, landed!.Outcome);
        Assert.Equal((landed.Slot, landed.FencingToken), (handle.Slot, handle.FencingToken));
        var holder = Assert.Single((await Grain(name).Describe()).Holders);
        Assert.Equal(handle.FencingToken, holder.FencingToken);

        await handle.DisposeAsync();
        Assert.Equal(2, _hooks.LeaseIdsOf(nameof(ISemaphoreGrain.TryAcquire)).Count());
        Assert.Contains(_hooks.Calls, c => c.Method == nameof(ISemaphoreGrain.Release));
        Assert.Single(_hooks.Calls.Select(c => c.LeaseId).Distinct());
        Assert.Empty((await Grain(name).Describe()).Holders);
    }

    [Fact]
    public async Task A_waiter_gets_the_slot_a_holder_frees()
    {
        var name = LockNames.Unique("sem-wait");
        await using var stays = (await Locks.CreateSemaphore(name, 2).AcquireAsync())!;
        var leaves = (await Locks.CreateSemaphore(name, 2).AcquireAsync())!;
        var waiting = Locks.CreateSemaphore(name, 2).AcquireAsync(Patience).AsTask();
        await WaitForWaitersAsync(name, 1);

        await leaves.DisposeAsync();
        await using var next = await waiting.WaitAsync(Patience);
        Assert.Equal(leaves.Slot, next.Slot);
        Assert.True(next.FencingToken > leaves.FencingToken);
    }

    [Fact]
    public async Task A_cancelled_wait_is_abandoned_with_its_lease_id_and_never_granted()
    {
        var name = LockNames.Unique("sem-cancel");
        var holder = (await Locks.CreateSemaphore(name, 1).AcquireAsync())!;
        using var cancel = new CancellationTokenSource();
        var waiting = Locks.CreateSemaphore(name, 1).AcquireAsync(Patience, cancel.Token).AsTask();
        await WaitForWaitersAsync(name, 1);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await WaitForWaitersAsync(name, 0);
        var waiterLease = Assert.Single(_hooks.LeaseIdsOf(nameof(ISemaphoreGrain.Acquire)).Distinct());
        await Eventually.ReturnsAsync(() => Task.FromResult(_hooks.LeaseIdsOf(nameof(ISemaphoreGrain.Abandon)).ToList()), ids => ids.Contains(waiterLease), "the waiter's lease id to be abandoned");

        await holder.DisposeAsync();
        var state = await Grain(name).Describe();
        Assert.Empty(state.Holders);
        Assert.Equal(holder.FencingToken, state.FencingToken);
    }

    [Fact]
    public async Task Acquire_throws_TimeoutException_when_every_slot_stays_held()
    {
        var name = LockNames.Unique("sem-timeout");
        await using var holder = await Locks.CreateSemaphore(name, 1).AcquireAsync();
        await Assert.ThrowsAsync<TimeoutException>(() => Locks.CreateSemaphore(name, 1).AcquireAsync(TimeSpan.FromMilliseconds(300)).AsTask());
        await WaitForWaitersAsync(name, 0);
    }

    [Fact]
    public async Task Another_limit_than_the_stored_one_surfaces_as_SemaphoreLimitMismatchException()
    {
        var name = LockNames.Unique("sem-mismatch");
        await using var holder = await Locks.CreateSemaphore(name, 2).AcquireAsync();

        var tried = await Assert.ThrowsAsync<SemaphoreLimitMismatchException>(() => Locks.CreateSemaphore(name, 3).TryAcquireAsync().AsTask());
        Assert.Equal((2, 3), (tried.StoredMaxCount, tried.RequestedMaxCount));
        var waited = await Assert.ThrowsAsync<SemaphoreLimitMismatchException>(() => Locks.CreateSemaphore(name, 5).AcquireAsync(Patience).AsTask());
        Assert.Equal((2, 5), (waited.StoredMaxCount, waited.RequestedMaxCount));
        var state = await Grain(name).Describe();
        Assert.Equal(2, state.MaxCount);
        Assert.Single(state.Holders);
    }

    [Fact]
    public async Task Invalid_names_limits_and_options_are_rejected_before_any_call()
    {
        Assert.Contains("lock name", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateSemaphore("", 2)).Message);
        Assert.Contains("at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => Locks.CreateSemaphore("x", 0)).Message);
        Assert.Contains("at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => Locks.CreateSemaphore("x", -3)).Message);
        Assert.Contains("Ttl", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateSemaphore("x", 2, new LockOptions { Ttl = TimeSpan.Zero })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = Locks.CreateSemaphore("x", 2).TryAcquireAsync(TimeSpan.FromSeconds(-2)); });
        Assert.Empty(_hooks.Calls);
    }

    protected Task WaitForWaitersAsync(string name, int count) =>
        Eventually.ReturnsAsync(() => Grain(name).Describe(), d => d.WaitingCount == count, $"{count} waiters on semaphore {name}");

    protected static Task WaitForLostAsync(SemaphoreHandle handle) =>
        Eventually.ReturnsAsync(() => Task.FromResult(handle.HandleLostToken.IsCancellationRequested), lost => lost, "the semaphore handle to be lost");
}
