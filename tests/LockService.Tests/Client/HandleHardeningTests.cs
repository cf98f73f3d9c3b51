using System.Diagnostics;
using System.Runtime.CompilerServices;
using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LockService.Tests.Client;

/// <summary>
/// The handle API when calls fail, hang or are cancelled at awkward moments (issue #12), with failures injected
/// client-side through <see cref="ScriptedLockGrain"/> against the in-memory cluster.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class HandleHardeningTests(InMemoryClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly LockCallHooks _hooks = new();

    private LockProvider Locks(TimeSpan? retryBudget = null) =>
        new(fixture.Grains, Options.Create(new LockClientOptions { RetryBudget = retryBudget ?? TimeSpan.FromSeconds(30) }))
        {
            GrainInterceptor = grain => new ScriptedLockGrain(grain, _hooks),
        };

    private ILockGrain Grain(string name) => fixture.Grains.GetGrain<ILockGrain>(name);

    [Fact]
    public async Task A_grant_found_by_a_retried_wait_is_refreshed_before_the_handle_is_returned()
    {
        var name = LockNames.Unique("retried-wait");
        var ttl = TimeSpan.FromSeconds(30);
        var failed = 0;
        _hooks.Acquire = async call =>
        {
            var result = await call();
            if (result.Acquired && Interlocked.Exchange(ref failed, 1) == 0)
            {
                // The grant landed, the answer did not; by the time the client retries, half the lease has passed.
                fixture.Clock.Advance(ttl / 2);
                throw new TimeoutException("injected: the first wait call's answer was lost");
            }

            return result;
        };
        var holder = await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        var waiting = Locks().CreateLock(name, new LockOptions { Ttl = ttl }).AcquireAsync(Patience).AsTask();
        await WaitForWaitersAsync(name, 1);
        await Grain(name).Release("holder", holder.FencingToken);

        await using var handle = await waiting.WaitAsync(Patience);
        var state = await Grain(name).Describe();
        var serverLeft = state.ExpiresAt!.Value - fixture.Clock.GetUtcNow();
        Assert.Equal(1, failed);
        Assert.True(handle.Keeper.Remaining <= serverLeft, $"the client counts {handle.Keeper.Remaining} left of a lease the server ends in {serverLeft}");
    }

    [Fact]
    public async Task A_try_that_reaches_the_lock_after_its_withdrawal_is_withdrawn_again_once_it_answers()
    {
        // A stalled silo can process the withdrawal of a timed-out try before the try itself (CI saw a 5-minute lease
        // left behind that way). Here the try is sent only once the first Abandon has been answered.
        var name = LockNames.Unique("late-try");
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

        var attempt = await Locks().CreateLock(name, new LockOptions { Ttl = TimeSpan.FromMinutes(5) }).TryAcquireAsync(TimeSpan.FromMilliseconds(200));

        Assert.Null(attempt);
        var after = await Eventually.ReturnsAsync(() => Grain(name).Describe(), d => d.FencingToken == 1 && !d.IsHeld, "the late try's grant to be withdrawn");
        Assert.Null(after.Holder);
        Assert.Equal(2, _hooks.Calls("Abandon"));
    }

    [Fact]
    public async Task A_waiter_that_waited_longer_than_its_ttl_gets_a_handle_with_a_fresh_lease()
    {
        var name = LockNames.Unique("long-wait");
        var ttl = TimeSpan.FromSeconds(2);
        var holder = await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        var sent = Stopwatch.GetTimestamp();
        var waiting = Locks().CreateLock(name, new LockOptions { Ttl = ttl }).AcquireAsync(Patience).AsTask();
        await WaitForWaitersAsync(name, 1);
        await Eventually.ReturnsAsync(() => Task.FromResult(Stopwatch.GetElapsedTime(sent)), waited => waited > ttl * 1.5, "the waiter to have waited longer than its TTL");

        await Grain(name).Release("holder", holder.FencingToken);

        await using var handle = await waiting.WaitAsync(Patience);
        Assert.True(handle.Keeper.Remaining > TimeSpan.Zero);
        Assert.False(handle.HandleLostToken.IsCancellationRequested);
        Assert.Equal(handle.Owner, (await Grain(name).Describe()).Holder);
    }

    [Fact]
    public async Task Cancellation_during_the_retry_back_off_withdraws_the_grant()
    {
        var name = LockNames.Unique("cancel-backoff");
        using var cancel = new CancellationTokenSource();
        _hooks.Acquire = async call =>
        {
            var result = await call();
            cancel.Cancel();
            throw new TimeoutException("injected: the wait call's answer was lost");
        };
        var holder = await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        var waiting = Locks().CreateLock(name).AcquireAsync(Patience, cancel.Token).AsTask();
        await WaitForWaitersAsync(name, 1);
        await Grain(name).Release("holder", holder.FencingToken);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Eventually.ReturnsAsync(() => Grain(name).Describe(), d => !d.IsHeld && d.WaitingCount == 0, "the cancelled acquisition's grant to be withdrawn");
    }

    [Fact]
    public async Task A_try_whose_retry_budget_runs_out_withdraws_the_grant()
    {
        var name = LockNames.Unique("budget-out");
        _hooks.TryAcquire = async call =>
        {
            await call();
            throw new TimeoutException("injected: every answer is lost");
        };

        await Assert.ThrowsAsync<TimeoutException>(() => Locks(retryBudget: TimeSpan.FromMilliseconds(300)).CreateLock(name).TryAcquireAsync().AsTask());
        Assert.False((await Grain(name).Describe()).IsHeld);
    }

    [Fact]
    public async Task A_failed_catch_up_refresh_withdraws_the_grant()
    {
        var name = LockNames.Unique("catch-up-fails");
        LoseTheFirstTryAcquireAnswer();
        _hooks.Refresh = _ => throw new TimeoutException("injected: the refresh is not answered");

        await Assert.ThrowsAsync<TimeoutException>(() => Locks().CreateLock(name).TryAcquireAsync().AsTask());
        Assert.False((await Grain(name).Describe()).IsHeld);
    }

    [Fact]
    public async Task A_refused_catch_up_refresh_returns_no_handle()
    {
        var name = LockNames.Unique("catch-up-refused");
        LoseTheFirstTryAcquireAnswer();
        _hooks.Refresh = async call =>
        {
            // The grant lapsed before the handle could be handed out.
            await Grain(name).ForceRelease();
            return await call();
        };

        Assert.Null(await Locks().CreateLock(name).TryAcquireAsync());
        Assert.Equal(1, _hooks.Calls(nameof(ILockGrain.Refresh)));
    }

    [Fact]
    public async Task A_try_whose_answer_was_lost_is_asked_again_with_its_lease_id_and_gets_the_same_grant()
    {
        var name = LockNames.Unique("lost-answer");
        LoseTheFirstTryAcquireAnswer();

        await using var handle = await Locks().CreateLock(name).TryAcquireAsync();

        // The retry found the grant the lost answer carried: one grant, token 1, not Busy against itself.
        Assert.NotNull(handle);
        Assert.Equal(2, _hooks.Calls(nameof(ILockGrain.TryAcquire)));
        Assert.Equal(1, handle.FencingToken);
        var state = await Grain(name).Describe();
        Assert.Equal((handle.Owner, 1L), (state.Holder, state.FencingToken));
    }

    [Fact]
    public async Task A_handles_lease_answers_to_its_lease_id_only_not_to_its_owner_and_token()
    {
        var name = LockNames.Unique("handle-lease-id");
        var handle = (await Locks().CreateLock(name).TryAcquireAsync())!;

        // Owner and token are shown by status to anyone; they do not release or renew the handle's lease.
        Assert.Equal(LockOutcome.NotHolder, (await Grain(name).Release(handle.Owner, handle.FencingToken)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Grain(name).Refresh(handle.Owner, handle.FencingToken, TimeSpan.FromMinutes(1))).Outcome);
        Assert.True(await handle.ExtendAsync());

        await handle.DisposeAsync();
        Assert.False((await Grain(name).Describe()).IsHeld);
        Assert.Equal(1, _hooks.Calls(nameof(ILockGrain.Release)));
    }

    [Fact]
    public async Task A_refused_try_without_timeout_sends_no_abandon()
    {
        var name = LockNames.Unique("refused-try");
        await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));

        Assert.Null(await Locks().CreateLock(name).TryAcquireAsync());
        Assert.Equal(1, _hooks.Calls(nameof(ILockGrain.TryAcquire)));
        Assert.Equal(0, _hooks.Calls(nameof(ILockGrain.Abandon)));
    }

    [Fact]
    public async Task Sync_dispose_on_a_single_threaded_context_does_not_deadlock()
    {
        var name = LockNames.Unique("single-thread");
        using var context = new SingleThreadedContext();
        var locks = Locks();

        await context.RunAsync(async () =>
        {
            var handle = await locks.CreateLock(name).AcquireAsync(Patience);
            handle.Dispose();
        }).WaitAsync(Patience);

        Assert.False((await Grain(name).Describe()).IsHeld);
    }

    [Fact]
    public async Task An_already_cancelled_token_sends_nothing()
    {
        var name = LockNames.Unique("cancelled-first");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks().CreateLock(name).TryAcquireAsync(default, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks().CreateLock(name).AcquireAsync(Patience, cancelled.Token).AsTask());
        Assert.Equal(0, _hooks.Calls(nameof(ILockGrain.TryAcquire)));
        Assert.Equal(0, (await Grain(name).Describe()).FencingToken);
    }

    [Fact]
    public void Negative_timeouts_throw_at_the_call()
    {
        var distributedLock = Locks().CreateLock(LockNames.Unique("negative-timeout"));

        Assert.Contains("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = distributedLock.TryAcquireAsync(TimeSpan.FromSeconds(-2)); }).Message);
        Assert.Contains("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = distributedLock.AcquireAsync(TimeSpan.FromSeconds(-2)); }).Message);
        Assert.Equal(0, _hooks.Calls(nameof(ILockGrain.TryAcquire)));
    }

    [Fact]
    public async Task A_timeout_longer_than_a_timer_can_hold_acquires_a_free_lock()
    {
        await using var handle = await Locks().CreateLock(LockNames.Unique("huge-timeout")).TryAcquireAsync(TimeSpan.MaxValue);
        Assert.NotNull(handle);
    }

    [Fact]
    public async Task A_fixed_owner_refuses_a_second_concurrent_acquisition_in_this_process()
    {
        var name = LockNames.Unique("fixed-owner");
        var options = new LockOptions { Owner = "job-runner" };
        var first = (await Locks().CreateLock(name, options).TryAcquireAsync())!;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Locks().CreateLock(name, options).TryAcquireAsync().AsTask());
        Assert.Contains("fixed Owner", error.Message);
        Assert.False(first.HandleLostToken.IsCancellationRequested);
        Assert.Equal("job-runner", (await Grain(name).Describe()).Holder);

        await first.DisposeAsync();
        await using var second = await Locks().CreateLock(name, options).TryAcquireAsync();
        Assert.NotNull(second);
        Assert.True(second.FencingToken > first.FencingToken);
    }

    [Fact]
    public void The_safety_margin_is_validated()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Locks().CreateLock("x", new LockOptions { Ttl = TimeSpan.FromSeconds(30), SafetyMargin = TimeSpan.FromSeconds(15) }));
        Assert.Contains("SafetyMargin", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Locks().CreateLock("x", new LockOptions { SafetyMargin = TimeSpan.Zero }));
    }

    [Fact]
    public async Task A_collected_handle_fires_its_lost_token_when_the_lease_runs_out()
    {
        var name = LockNames.Unique("collected");
        var lost = await AcquireAndDropHandleAsync(name);

        await Eventually.ReturnsAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return Task.FromResult(lost.IsCancellationRequested);
            },
            fired => fired,
            "the collected handle's lost token to fire");
    }

    private void LoseTheFirstTryAcquireAnswer()
    {
        var lost = 0;
        _hooks.TryAcquire = async call =>
        {
            var result = await call();
            return Interlocked.Exchange(ref lost, 1) == 0 ? throw new TimeoutException("injected: the first answer was lost") : result;
        };
    }

    // Not inlined, so no local of the caller keeps the handle alive; the token does not hold the handle.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<CancellationToken> AcquireAndDropHandleAsync(string name)
    {
        var handle = await Locks().CreateLock(name, new LockOptions { Ttl = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromMilliseconds(500) }).TryAcquireAsync();
        return handle!.HandleLostToken;
    }

    private Task WaitForWaitersAsync(string name, int count) =>
        Eventually.ReturnsAsync(() => Grain(name).Describe(), d => d.WaitingCount == count, $"{count} waiters on {name}");
}
