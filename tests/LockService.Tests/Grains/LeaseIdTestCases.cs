using LockService.Leases;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

/// <summary>
/// The lease-id calls of the lock (issue #13), run against every backend through a real Orleans client: a lease is
/// identified by its secret lease id, the owner is a label, and the silo keeps only the id's hash.
/// </summary>
public abstract class LeaseIdTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    protected TFixture Fixture { get; } = fixture;

    protected ILockGrain Lock(string name) => Fixture.Grains.GetGrain<ILockGrain>(name);

    [Fact]
    public async Task The_same_lease_id_again_while_held_gets_the_same_grant_back()
    {
        var name = LockNames.Unique("lease-retry");
        var leaseId = LeaseIds.New();
        var granted = await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(10));

        // A retry after a lost answer, by a try and by a wait call: the same grant, never a second one.
        var retried = await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        var waited = await Lock(name).Acquire("server-1", leaseId, Ttl, TimeSpan.FromSeconds(5));

        Assert.Equal(LockOutcome.Granted, granted.Outcome);
        Assert.Equal(LockOutcome.Renewed, retried.Outcome);
        Assert.Equal(LockOutcome.Granted, waited.Outcome);
        Assert.Equal([granted.FencingToken], new[] { retried.FencingToken, waited.FencingToken }.Distinct());
        Assert.Equal(granted.ExpiresAt + TimeSpan.FromSeconds(10), retried.ExpiresAt);
        Assert.Null(granted.LeaseId);
        Assert.Equal(granted.FencingToken, (await Lock(name).Describe()).FencingToken);
    }

    [Fact]
    public async Task Another_lease_id_of_the_same_owner_is_busy_and_owner_calls_cannot_touch_the_lease()
    {
        var name = LockNames.Unique("lease-other");
        var granted = await Lock(name).TryAcquire("server-1", LeaseIds.New(), Ttl);
        var before = await Fixture.ReadStoredAsync(name);

        Assert.Equal(LockOutcome.Busy, (await Lock(name).TryAcquire("server-1", LeaseIds.New(), Ttl)).Outcome);
        Assert.Equal(LockOutcome.Busy, (await Lock(name).Acquire("server-1", LeaseIds.New(), Ttl, TimeSpan.Zero)).Outcome);
        // The owner is only a label: knowing it (status shows it, with the token) finds nothing.
        Assert.Equal(LockOutcome.Busy, (await Lock(name).TryAcquire("server-1", Ttl)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Refresh("server-1", granted.FencingToken, Ttl)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Release("server-1", granted.FencingToken)).Outcome);
        Assert.Equal(LockOutcome.AlreadyReleased, (await Lock(name).Abandon("server-1")).Outcome);

        var after = await Fixture.ReadStoredAsync(name);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(("server-1", granted.FencingToken, granted.ExpiresAt), (after.State.Holder, after.State.FencingToken, after.State.ExpiresAt));
    }

    [Fact]
    public async Task Refresh_and_release_with_a_wrong_lease_id_change_nothing()
    {
        var name = LockNames.Unique("lease-wrong");
        var leaseId = LeaseIds.New();
        var granted = await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        var before = await Fixture.ReadStoredAsync(name);
        var wrong = LeaseIds.New();

        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).RefreshLease(wrong, TimeSpan.FromMinutes(10))).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).ReleaseLease(wrong)).Outcome);
        Assert.Equal(LockOutcome.AlreadyReleased, (await Lock(name).AbandonLease(wrong)).Outcome);

        var after = await Fixture.ReadStoredAsync(name);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(granted.ExpiresAt, after.State.ExpiresAt);
        var description = await Lock(name).Describe();
        Assert.Equal(("server-1", granted.FencingToken), (description.Holder, description.FencingToken));

        // The right one works, and a release is idempotent for it.
        Fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        var refreshed = await Lock(name).RefreshLease(leaseId, Ttl);
        Assert.Equal((LockOutcome.Renewed, granted.FencingToken), (refreshed.Outcome, refreshed.FencingToken));
        Assert.Equal(LockOutcome.Released, (await Lock(name).ReleaseLease(leaseId)).Outcome);
        Assert.Equal(LockOutcome.AlreadyReleased, (await Lock(name).ReleaseLease(leaseId)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).RefreshLease(leaseId, Ttl)).Outcome);
    }

    [Fact]
    public async Task The_lease_id_the_grain_makes_for_an_owner_try_releases_and_refreshes_it()
    {
        var name = LockNames.Unique("lease-made");
        var granted = await Lock(name).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, granted.Outcome);
        var leaseId = Assert.IsType<string>(granted.LeaseId);
        LeaseIds.Validate(leaseId);

        // A renewal by the owner cannot tell the id again: the grain kept only its hash.
        var renewed = await Lock(name).TryAcquire("server-1", Ttl);
        Assert.Equal((LockOutcome.Renewed, (string?)null), (renewed.Outcome, renewed.LeaseId));

        Assert.Equal(LockOutcome.Renewed, (await Lock(name).RefreshLease(leaseId, Ttl)).Outcome);
        Assert.Equal(LockOutcome.Released, (await Lock(name).ReleaseLease(leaseId)).Outcome);
        Assert.False((await Lock(name).Describe()).IsHeld);
        // The owner and token still name it too, as the card's calls always did.
        Assert.Equal(LockOutcome.AlreadyReleased, (await Lock(name).Release("server-1", granted.FencingToken)).Outcome);
    }

    [Fact]
    public async Task An_owner_keyed_wait_is_granted_with_a_lease_id_made_by_the_grain()
    {
        var name = LockNames.Unique("lease-made-wait");
        var holder = await Lock(name).TryAcquire("holder", Ttl);
        var waiting = Lock(name).Acquire("server-1", Ttl, TimeSpan.FromMinutes(1));
        await WaitForWaitersAsync(name, 1);
        await Lock(name).ReleaseLease(holder.LeaseId!);

        var granted = await waiting;
        Assert.Equal(LockOutcome.Granted, granted.Outcome);
        Assert.Equal(LockOutcome.Released, (await Lock(name).ReleaseLease(granted.LeaseId!)).Outcome);
    }

    [Fact]
    public async Task Two_waits_of_one_owner_label_with_two_lease_ids_are_two_waiters()
    {
        var name = LockNames.Unique("lease-waiters");
        var holderLease = LeaseIds.New();
        await Lock(name).TryAcquire("holder", holderLease, Ttl);
        var (firstLease, secondLease) = (LeaseIds.New(), LeaseIds.New());
        var first = Lock(name).Acquire("worker", firstLease, Ttl, TimeSpan.FromMinutes(1));
        await WaitForWaitersAsync(name, 1);
        var second = Lock(name).Acquire("worker", secondLease, Ttl, TimeSpan.FromMinutes(1));
        await WaitForWaitersAsync(name, 2);

        await Lock(name).ReleaseLease(holderLease);
        var firstGrant = await first;
        Assert.Equal(LockOutcome.Granted, firstGrant.Outcome);
        Assert.False(second.IsCompleted);
        // The second attempt is not the first one's holder, though both are "worker".
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).ReleaseLease(secondLease)).Outcome);

        await Lock(name).ReleaseLease(firstLease);
        var secondGrant = await second;
        Assert.Equal(LockOutcome.Granted, secondGrant.Outcome);
        Assert.True(secondGrant.FencingToken > firstGrant.FencingToken);
    }

    [Fact]
    public async Task Abandoning_a_lease_leaves_the_queue_and_releases_a_grant_whose_answer_was_lost()
    {
        var name = LockNames.Unique("lease-abandon");
        var holderLease = LeaseIds.New();
        var holder = await Lock(name).TryAcquire("holder", holderLease, Ttl);
        var waiterLease = LeaseIds.New();
        Assert.Equal(LockOutcome.Busy, (await Lock(name).Acquire("waiter", waiterLease, Ttl, TimeSpan.FromMilliseconds(50))).Outcome);
        Assert.Equal(1, (await Lock(name).Describe()).WaitingCount);

        Assert.Equal(LockOutcome.AlreadyReleased, (await Lock(name).AbandonLease(waiterLease)).Outcome);
        Assert.Equal(0, (await Lock(name).Describe()).WaitingCount);

        // Granted, the answer lost, the caller gives up: the abandon ends the grant.
        Assert.Equal(LockOutcome.Released, (await Lock(name).AbandonLease(holderLease)).Outcome);
        var next = await Lock(name).TryAcquire("next", LeaseIds.New(), Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.True(next.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task Storage_and_describe_hold_the_lease_ids_hash_never_the_id()
    {
        var name = LockNames.Unique("lease-hash");
        var leaseId = LeaseIds.New();
        await Lock(name).TryAcquire("server-1", leaseId, Ttl);

        var stored = await Fixture.ReadStoredAsync(name);
        Assert.Equal(LeaseIdHash.Of(leaseId), stored.State.LeaseIdHash);
        Assert.True(stored.State.LeaseIdOnly);
        var described = (await Lock(name).Describe()).ToString();
        Assert.DoesNotContain(leaseId, described);
        Assert.DoesNotContain(LeaseIdHash.Of(leaseId), described);
    }

    public static TheoryData<string, string> InvalidLeaseIds => new()
    {
        { "", "must not be empty" },
        { "short", "at least 22 characters" },
        { new string('a', LeaseIds.MaxLength + 1), "at most 128 characters" },
        { new string('a', 30) + "/+=", "URL-safe" },
        { new string('a', 30) + " ", "URL-safe" },
    };

    [Theory]
    [MemberData(nameof(InvalidLeaseIds))]
    public async Task An_invalid_lease_id_is_rejected_naming_the_rule_and_changes_nothing(string leaseId, string rule)
    {
        var name = LockNames.Unique("lease-bad");
        var holderLease = LeaseIds.New();
        var granted = await Lock(name).TryAcquire("server-1", holderLease, Ttl);
        var before = await Fixture.ReadStoredAsync(name);

        foreach (var call in new Func<Task>[]
                 {
                     () => Lock(name).TryAcquire("server-2", leaseId, Ttl),
                     () => Lock(name).Acquire("server-2", leaseId, Ttl, TimeSpan.Zero),
                     () => Lock(name).RefreshLease(leaseId, Ttl),
                     () => Lock(name).ReleaseLease(leaseId),
                     () => Lock(name).AbandonLease(leaseId),
                 })
        {
            var error = await Assert.ThrowsAnyAsync<ArgumentException>(call);
            Assert.Contains("Invalid lease id", error.Message);
            Assert.Contains(rule, error.Message);
        }

        var after = await Fixture.ReadStoredAsync(name);
        Assert.Equal(before.ETag, after.ETag);
        var description = await Lock(name).Describe();
        Assert.Equal(("server-1", granted.FencingToken, 0), (description.Holder, description.FencingToken, description.WaitingCount));
        Assert.Equal(LockOutcome.Granted, (await Lock(LockNames.Unique("control")).TryAcquire("server-1", LeaseIds.New(), Ttl)).Outcome);
    }

    private Task WaitForWaitersAsync(string name, int count) =>
        Eventually.ReturnsAsync(() => Lock(name).Describe(), d => d.WaitingCount == count, $"{count} waiters on {name}");
}
