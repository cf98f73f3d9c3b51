using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

/// <summary>
/// The lock rules, run against every backend through a real Orleans client. Subclasses bind them to a cluster.
/// </summary>
public abstract class LockGrainTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    protected TFixture Fixture { get; } = fixture;

    protected ILockGrain Lock(string name) => Fixture.Grains.GetGrain<ILockGrain>(name);

    [Fact]
    public async Task A_free_lock_is_granted_and_another_owner_is_refused()
    {
        var name = LockNames.Unique("grant");
        var granted = await Lock(name).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, granted.Outcome);
        Assert.True(granted.Acquired);
        Assert.Equal("server-1", granted.Holder);
        Assert.Equal(1, granted.FencingToken);
        Assert.Equal(granted.AcquiredAt + Ttl, granted.ExpiresAt);

        var refused = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Busy, refused.Outcome);
        Assert.False(refused.Acquired);
        Assert.Equal("server-1", refused.Holder);
        Assert.Equal(granted.ExpiresAt, refused.ExpiresAt);
    }

    [Fact]
    public async Task The_holder_asking_again_renews_its_lease_and_keeps_its_token()
    {
        var name = LockNames.Unique("reentry");
        var first = await Lock(name).TryAcquire("server-1", Ttl);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(10));

        var again = await Lock(name).TryAcquire("server-1", Ttl);

        Assert.Equal(LockOutcome.Renewed, again.Outcome);
        Assert.Equal(first.FencingToken, again.FencingToken);
        Assert.Equal(first.AcquiredAt, again.AcquiredAt);
        Assert.Equal(first.ExpiresAt + TimeSpan.FromSeconds(10), again.ExpiresAt);
    }

    [Fact]
    public async Task Only_the_holder_with_its_current_token_can_refresh()
    {
        var name = LockNames.Unique("refresh");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);

        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Refresh("server-2", grant.FencingToken, Ttl)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Refresh("server-1", grant.FencingToken + 1, Ttl)).Outcome);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Refresh("server-1", grant.FencingToken - 1, Ttl)).Outcome);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        var refreshed = await Lock(name).Refresh("server-1", grant.FencingToken, TimeSpan.FromMinutes(2));
        Assert.Equal(LockOutcome.Renewed, refreshed.Outcome);
        Assert.Equal(grant.FencingToken, refreshed.FencingToken);
        Assert.Equal(grant.AcquiredAt + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(2), refreshed.ExpiresAt);

        var stored = await Fixture.ReadStoredAsync(name);
        Assert.Equal(refreshed.ExpiresAt, stored.State.ExpiresAt);
    }

    [Fact]
    public async Task Release_is_idempotent_for_the_holder_and_refused_for_anyone_else()
    {
        var name = LockNames.Unique("release");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);

        var byOther = await Lock(name).Release("server-2", grant.FencingToken);
        Assert.Equal(LockOutcome.NotHolder, byOther.Outcome);
        Assert.Equal("server-1", byOther.Holder);
        Assert.Equal("server-1", (await Lock(name).Describe()).Holder);

        var staleToken = await Lock(name).Release("server-1", grant.FencingToken - 1);
        Assert.Equal(LockOutcome.NotHolder, staleToken.Outcome);

        var released = await Lock(name).Release("server-1", grant.FencingToken);
        Assert.Equal(LockOutcome.Released, released.Outcome);
        Assert.Null(released.Holder);

        var again = await Lock(name).Release("server-1", grant.FencingToken);
        Assert.Equal(LockOutcome.AlreadyReleased, again.Outcome);

        var description = await Lock(name).Describe();
        Assert.False(description.IsHeld);
        Assert.Equal(grant.FencingToken, description.FencingToken);

        // The row is kept with an empty holder, so the token survives. A release with nobody waiting is written
        // lazily (within LockGrainOptions.ReleaseWriteDelay; LazyReleaseTests covers the lag itself).
        var stored = await Eventually.ReturnsAsync(() => Fixture.ReadStoredAsync(name), s => s.State.Holder is null, "the release to be written");
        Assert.True(stored.Exists);
        Assert.Null(stored.State.Holder);
        Assert.Equal(grant.FencingToken, stored.State.FencingToken);
    }

    [Fact]
    public async Task Fencing_tokens_grow_across_release_expiry_and_deactivation()
    {
        var name = LockNames.Unique("tokens");
        var tokens = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            var grant = await Lock(name).TryAcquire($"owner-{round}", Ttl);
            Assert.Equal(LockOutcome.Granted, grant.Outcome);
            tokens.Add(grant.FencingToken);
            Assert.Equal(LockOutcome.Released, (await Lock(name).Release($"owner-{round}", grant.FencingToken)).Outcome);
            await Fixture.DeactivateAsync(name);
        }

        var expiring = await Lock(name).TryAcquire("owner-expiring", Ttl);
        tokens.Add(expiring.FencingToken);
        Fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        await Fixture.DeactivateAsync(name);
        tokens.Add((await Lock(name).TryAcquire("owner-after-expiry", Ttl)).FencingToken);

        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, tokens);
    }

    [Fact]
    public async Task An_expired_lease_is_free_to_others_and_dead_for_its_holder()
    {
        var name = LockNames.Unique("expiry");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);

        Fixture.Clock.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(LockOutcome.Busy, (await Lock(name).TryAcquire("server-2", Ttl)).Outcome);

        Fixture.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False((await Lock(name).Describe()).IsHeld);
        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Refresh("server-1", grant.FencingToken, Ttl)).Outcome);

        var next = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.True(next.FencingToken > grant.FencingToken);

        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).Release("server-1", grant.FencingToken)).Outcome);
        Assert.Equal("server-2", (await Lock(name).Describe()).Holder);
    }

    [Fact]
    public async Task The_reminder_reaps_an_expired_lease_even_after_deactivation()
    {
        var name = LockNames.Unique("reaper");
        var grant = await Lock(name).TryAcquire("server-1", TimeSpan.FromSeconds(5));
        Fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        await Fixture.DeactivateAsync(name);

        // Nobody calls the lock again: only the reminder can clear the stored holder. Its first tick is due just
        // after the lease ends; the 1-minute period is the backstop, hence the deadline.
        var reaped = await Eventually.ReturnsAsync(
            () => Fixture.ReadStoredAsync(name),
            stored => stored.State.Holder is null,
            "the reminder to clear the expired holder",
            TimeSpan.FromMinutes(3));

        Assert.Equal(grant.FencingToken, reaped.State.FencingToken);
        Assert.Equal(grant.FencingToken + 1, (await Lock(name).TryAcquire("server-2", Ttl)).FencingToken);
    }

    [Fact]
    public async Task Five_servers_racing_for_one_lock_have_exactly_one_winner()
    {
        var name = LockNames.Unique("race");
        var results = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => Lock(name).TryAcquire($"server-{i}", Ttl)));

        var winner = Assert.Single(results, r => r.Outcome == LockOutcome.Granted);
        Assert.All(results.Where(r => r != winner), r =>
        {
            Assert.Equal(LockOutcome.Busy, r.Outcome);
            Assert.Equal(winner.Holder, r.Holder);
        });
        Assert.Equal(1, winner.FencingToken);
    }

    [Fact]
    public async Task Describe_reads_without_writing()
    {
        var name = LockNames.Unique("describe");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);
        var before = await Fixture.ReadStoredAsync(name);

        var description = await Lock(name).Describe();
        Fixture.Clock.Advance(Ttl * 2);
        var afterExpiry = await Lock(name).Describe();

        Assert.Equal(("server-1", grant.FencingToken, grant.AcquiredAt, grant.ExpiresAt),
            (description.Holder, description.FencingToken, description.AcquiredAt, description.ExpiresAt));
        Assert.Equal(name, description.LockName);
        Assert.False(afterExpiry.IsHeld);
        Assert.Equal(before.ETag, (await Fixture.ReadStoredAsync(name)).ETag);
    }

    [Fact]
    public async Task A_wait_with_a_zero_timeout_is_granted_a_free_lock_and_refused_a_held_one()
    {
        var name = LockNames.Unique("zero-wait");

        var granted = await Lock(name).Acquire("server-1", Ttl, TimeSpan.Zero);
        Assert.Equal(LockOutcome.Granted, granted.Outcome);
        Assert.Equal(1, granted.FencingToken);

        var refused = await Lock(name).Acquire("server-2", Ttl, TimeSpan.Zero);
        Assert.Equal(LockOutcome.Busy, refused.Outcome);
        Assert.Equal("server-1", refused.Holder);
    }

    [Fact]
    public async Task A_waiter_that_takes_the_lock_by_a_try_leaves_the_queue()
    {
        var name = LockNames.Unique("try-by-waiter");
        var first = await Lock(name).TryAcquire("server-1", Ttl);

        // server-2's wait call times out: it keeps its place, detached, for its next call.
        Assert.Equal(LockOutcome.Busy, (await Lock(name).Acquire("server-2", Ttl, TimeSpan.FromMilliseconds(50))).Outcome);
        Assert.Equal(1, (await Lock(name).Describe()).WaitingCount);

        Assert.Equal(LockOutcome.Released, (await Lock(name).Release("server-1", first.FencingToken)).Outcome);
        var taken = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, taken.Outcome);

        var description = await Lock(name).Describe();
        Assert.Equal(("server-2", 0), (description.Holder, description.WaitingCount));
        Assert.Equal(LockOutcome.Granted, (await Lock(name).Acquire("server-2", Ttl, TimeSpan.Zero)).Outcome);
    }

    public static TheoryData<string, string> InvalidNames => new()
    {
        { "", "empty" },
        { "   ", "empty" },
        { new string('n', LockArguments.MaxLength + 1), "at most 256 characters" },
        { "nul\0inside", "NUL" },
        { "lone\uD800surrogate", "valid UTF-16" },
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task An_invalid_lock_name_is_rejected_naming_the_rule(string name, string rule)
    {
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => Lock(name).TryAcquire("server-1", Ttl));
        Assert.Contains(rule, error.Message);
        // An empty or whitespace key is refused by Orleans' GetGrain itself, before any call; everything else by the grain.
        Assert.True(error.ParamName == "primaryKey" || error.Message.Contains("lock name"), error.Message);
        await AssertSiloStillServesAsync();
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task An_invalid_owner_is_rejected_naming_the_rule_and_changes_nothing(string owner, string rule)
    {
        var name = LockNames.Unique("bad-owner");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);
        await Lock(name).Release("server-1", grant.FencingToken);
        var before = await Fixture.ReadStoredAsync(name);

        foreach (var call in new Func<Task>[]
                 {
                     () => Lock(name).TryAcquire(owner, Ttl),
                     () => Lock(name).Refresh(owner, grant.FencingToken, Ttl),
                     () => Lock(name).Release(owner, grant.FencingToken),
                 })
        {
            var error = await Assert.ThrowsAnyAsync<ArgumentException>(call);
            Assert.Contains("owner", error.Message);
            Assert.Contains(rule, error.Message);
        }

        Assert.Equal(before.ETag, (await Fixture.ReadStoredAsync(name)).ETag);
        await AssertSiloStillServesAsync();
    }

    public static TheoryData<TimeSpan, string> InvalidTtls => new()
    {
        { TimeSpan.Zero, "must be positive" },
        { TimeSpan.FromSeconds(-1), "must be positive" },
        { TimeSpan.FromHours(24) + TimeSpan.FromTicks(1), "at most the configured maximum" },
        { TimeSpan.MaxValue, "at most the configured maximum" },
    };

    [Theory]
    [MemberData(nameof(InvalidTtls))]
    public async Task An_invalid_ttl_is_rejected_naming_the_rule_and_changes_nothing(TimeSpan ttl, string rule)
    {
        var name = LockNames.Unique("bad-ttl");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);
        var before = await Fixture.ReadStoredAsync(name);

        var onAcquire = await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => Lock(name).TryAcquire("server-2", ttl));
        var onRefresh = await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => Lock(name).Refresh("server-1", grant.FencingToken, ttl));
        Assert.Contains(rule, onAcquire.Message);
        Assert.Contains(rule, onRefresh.Message);

        var after = await Fixture.ReadStoredAsync(name);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(grant.ExpiresAt, after.State.ExpiresAt);
        await AssertSiloStillServesAsync();
    }

    [Fact]
    public async Task The_maximum_ttl_is_accepted()
    {
        var grant = await Lock(LockNames.Unique("max-ttl")).TryAcquire("server-1", TimeSpan.FromHours(24));
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
    }

    protected async Task AssertSiloStillServesAsync()
    {
        var control = await Lock(LockNames.Unique("control")).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, control.Outcome);
    }
}
