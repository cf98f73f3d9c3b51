using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

/// <summary>
/// A step of the silo's system clock (an NTP correction, a VM's clock resync; the chaos suite's crash-after-write run
/// of 2026-12-03 met one of about 7.4 s on both live silos at once) must not end a running lease early. The holder's
/// handle measures its lease on the monotonic clock, so a lock that judged expiry by the stepped wall clock alone
/// granted the lock again while the first holder still rightly believed it held it (C3, a real double grant).
/// </summary>
/// <remarks>
/// Each test steps the shared fixture clock and steps it back at the end; the lock names are the tests' own, so no
/// other test sees a lease that ran across the step.
/// </remarks>
[Collection(PostgresClusterCollection.Name)]
public sealed class ClockStepTests(PostgresClusterFixture fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    // Far more than what is left of the lease: by the stepped wall clock it ended long ago.
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_forward_step_of_the_system_clock_does_not_end_a_running_lock_lease()
    {
        var grain = fixture.Grains.GetGrain<ILockGrain>(LockNames.Unique("clock-step-lock"));
        var first = await grain.TryAcquire("first", Ttl);
        Assert.Equal(LockOutcome.Granted, first.Outcome);
        fixture.Clock.Advance(TimeSpan.FromSeconds(2));

        fixture.Clock.StepSystemClock(Step);
        try
        {
            var other = await grain.TryAcquire("second", Ttl);
            Assert.Equal(LockOutcome.Busy, other.Outcome);
            Assert.Equal(first.FencingToken, other.FencingToken);
            Assert.Equal(LockOutcome.Renewed, (await grain.Refresh("first", first.FencingToken, Ttl)).Outcome);

            // The lease still ends once its length has passed on the monotonic clock (renewed at 2 s, it ends at 12 s)...
            fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            var next = await grain.TryAcquire("second", Ttl);
            Assert.Equal(LockOutcome.Granted, next.Outcome);
            Assert.Equal(first.FencingToken + 1, next.FencingToken);

            // ...and with no lease running the lock follows the system clock again: the new lease is stamped in its time.
            Assert.Equal(fixture.Clock.GetUtcNow() + Ttl, next.ExpiresAt);
        }
        finally
        {
            fixture.Clock.StepSystemClock(-Step);
        }
    }

    [Fact]
    public async Task A_forward_step_of_the_system_clock_does_not_end_a_lease_handed_to_a_waiter()
    {
        var grain = fixture.Grains.GetGrain<ILockGrain>(LockNames.Unique("clock-step-handoff"));
        var firstLease = LeaseIds.New();
        var waiterLease = LeaseIds.New();
        var first = await grain.TryAcquire("first", firstLease, Ttl);
        var waiting = grain.Acquire("waiter", waiterLease, Ttl, TimeSpan.FromMinutes(1));
        await Eventually.ReturnsAsync(grain.Describe, d => d.WaitingCount == 1, "the waiter to queue");

        // Released to the waiter in the same write (the chaos run's token 16), then the clock steps.
        Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(firstLease)).Outcome);
        var handedOver = await waiting;
        Assert.Equal(first.FencingToken + 1, handedOver.FencingToken);
        fixture.Clock.StepSystemClock(Step);
        try
        {
            var raw = await grain.TryAcquire("raw-caller", Ttl);
            Assert.Equal(LockOutcome.Busy, raw.Outcome);
            Assert.Equal(handedOver.FencingToken, raw.FencingToken);
            Assert.Equal(LockOutcome.Renewed, (await grain.RefreshLease(waiterLease, Ttl)).Outcome);
        }
        finally
        {
            fixture.Clock.StepSystemClock(-Step);
        }
    }

    [Fact]
    public async Task A_forward_step_of_the_system_clock_does_not_end_a_running_semaphore_lease()
    {
        var grain = fixture.Grains.GetGrain<ISemaphoreGrain>(LockNames.Unique("clock-step-semaphore"));
        var firstLease = LeaseIds.New();
        var first = await grain.TryAcquire("first", firstLease, 1, Ttl);
        Assert.Equal(LockOutcome.Granted, first.Outcome);
        fixture.Clock.Advance(TimeSpan.FromSeconds(2));

        fixture.Clock.StepSystemClock(Step);
        try
        {
            var other = await grain.TryAcquire("second", LeaseIds.New(), 1, Ttl);
            Assert.Equal(LockOutcome.Busy, other.Outcome);
            Assert.Equal(1, other.HolderCount);
            Assert.Equal(LockOutcome.Renewed, (await grain.Refresh(firstLease, Ttl)).Outcome);

            fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            var next = await grain.TryAcquire("second", LeaseIds.New(), 1, Ttl);
            Assert.Equal(LockOutcome.Granted, next.Outcome);
            Assert.Equal(fixture.Clock.GetUtcNow() + Ttl, next.ExpiresAt);
        }
        finally
        {
            fixture.Clock.StepSystemClock(-Step);
        }
    }

    [Fact]
    public async Task A_forward_step_of_the_system_clock_does_not_end_a_running_queue_claim()
    {
        var name = LockNames.Unique("clock-step-queue");
        var queue = fixture.Grains.GetGrain<IWorkQueueGrain>(name);
        await queue.Enqueue([new NewTask("job")]);
        var leaseId = LeaseIds.New();
        var first = await queue.Claim("first", leaseId, Ttl, TimeSpan.Zero);
        Assert.NotNull(first);
        fixture.Clock.Advance(TimeSpan.FromSeconds(2));

        fixture.Clock.StepSystemClock(Step);
        try
        {
            // Neither the directory (routing) nor the segment (judging) takes the running claim for ended.
            Assert.Null(await queue.Claim("second", LeaseIds.New(), Ttl, TimeSpan.Zero));
            var segment = WorkQueueTaskIds.SegmentOf(fixture.Grains, name, first.TaskId);
            // Extended in the held-back time: 2 s after the claim on the monotonic clock, not 32 s.
            Assert.Equal(first.ExpiresAt + TimeSpan.FromSeconds(2), await segment.Extend(first.TaskId, leaseId, Ttl));

            // The claim still ends once its length has passed on the monotonic clock, and its task is claimed again.
            fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            var next = await queue.Claim("second", LeaseIds.New(), Ttl, TimeSpan.Zero);
            Assert.Equal((first.TaskId, 2L), (next?.TaskId, next?.ClaimToken));
            await Assert.ThrowsAsync<TaskLeaseLostException>(() => segment.Complete(first.TaskId, leaseId));
        }
        finally
        {
            fixture.Clock.StepSystemClock(-Step);
        }
    }

    [Fact]
    public async Task A_backward_step_of_the_system_clock_is_followed_at_once_and_only_lengthens_a_running_lease()
    {
        var grain = fixture.Grains.GetGrain<ILockGrain>(LockNames.Unique("clock-step-back"));
        var first = await grain.TryAcquire("first", Ttl);
        fixture.Clock.StepSystemClock(-Step);
        try
        {
            // Past its length on the monotonic clock, but not by the wall clock, which the stored lease is stamped in
            // and every silo reads: held, as before (a backward step delays the next grant; it never doubles one).
            fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            var other = await grain.TryAcquire("second", Ttl);
            Assert.Equal(LockOutcome.Busy, other.Outcome);
            Assert.Equal(first.ExpiresAt, other.ExpiresAt);

            Assert.Equal(LockOutcome.Renewed, (await grain.Refresh("first", first.FencingToken, Ttl)).Outcome);
            Assert.Equal(fixture.Clock.GetUtcNow() + Ttl, (await grain.Describe()).ExpiresAt);
        }
        finally
        {
            fixture.Clock.StepSystemClock(Step);
        }
    }
}
