using LockService.Testing;
using LockService.Grains;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Grains;

/// <summary>
/// A release of a lease granted by lease id, with nobody waiting, is made durable lazily (LockGrain.LazyRelease.cs).
/// These tests pin what that means on PostgreSQL: memory is ahead of storage only by that release, the next write
/// carries it, and it is written after the delay or at deactivation; a lease of the owner calls is released at once.
/// The silo-kill case is <see cref="Cluster.LazyReleaseSiloKillTests"/>.
/// </summary>
public sealed class LazyReleaseTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_release_with_nobody_waiting_is_not_written_at_once_and_the_next_grant_writes_over_it()
    {
        await using var cluster = await StartAsync(TimeSpan.FromMinutes(1));
        var name = LockNames.Unique("lazy");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var lease = LeaseIds.New();
        var first = await grain.TryAcquire("server-1", lease, Ttl);
        var written = await ReadStoredAsync(cluster, name);

        Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(lease)).Outcome);
        Assert.False((await grain.Describe()).IsHeld);
        Assert.Equal(LockOutcome.NotHolder, (await grain.RefreshLease(lease, Ttl)).Outcome);
        Assert.Equal(LockOutcome.AlreadyReleased, (await grain.ReleaseLease(lease)).Outcome);

        // Storage still names the releaser: the release lives in the activation's memory only.
        var stored = await ReadStoredAsync(cluster, name);
        Assert.Equal(written.ETag, stored.ETag);
        Assert.Equal(("server-1", first.FencingToken), (stored.State.Holder, stored.State.FencingToken));

        var second = await grain.TryAcquire("server-2", LeaseIds.New(), Ttl);
        Assert.Equal(LockOutcome.Granted, second.Outcome);
        Assert.Equal(first.FencingToken + 1, second.FencingToken);
        stored = await ReadStoredAsync(cluster, name);
        Assert.Equal(("server-2", second.FencingToken), (stored.State.Holder, stored.State.FencingToken));
    }

    [Fact]
    public async Task An_unwritten_release_is_written_when_the_delay_has_passed()
    {
        await using var cluster = await StartAsync(TimeSpan.FromMilliseconds(200));
        var name = LockNames.Unique("lazy-timer");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var lease = LeaseIds.New();
        var grant = await grain.TryAcquire("server-1", lease, Ttl);
        await grain.ReleaseLease(lease);

        var stored = await Eventually.ReturnsAsync(() => ReadStoredAsync(cluster, name), s => s.State.Holder is null, "the release to be written", TimeSpan.FromSeconds(30));
        Assert.Equal(grant.FencingToken, stored.State.FencingToken);
        Assert.Equal("server-1", stored.State.LastHolder);
    }

    [Fact]
    public async Task An_unwritten_release_is_written_when_the_activation_deactivates()
    {
        await using var cluster = await StartAsync(TimeSpan.FromMinutes(1));
        var name = LockNames.Unique("lazy-deactivate");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var lease = LeaseIds.New();
        var grant = await grain.TryAcquire("server-1", lease, Ttl);
        await grain.ReleaseLease(lease);

        await grain.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        var stored = await Eventually.ReturnsAsync(() => ReadStoredAsync(cluster, name), s => s.State.Holder is null, "the release to be written on deactivation");
        Assert.Equal(grant.FencingToken, stored.State.FencingToken);

        // The next activation loads a free lock, not the released lease.
        var next = await grain.TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(grant.FencingToken + 1, next.FencingToken);
    }

    [Fact]
    public async Task With_a_waiter_the_release_is_a_handoff_written_before_the_waiter_hears_of_it()
    {
        await using var cluster = await StartAsync(TimeSpan.FromMinutes(1));
        var name = LockNames.Unique("lazy-handoff");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var lease = LeaseIds.New();
        var grant = await grain.TryAcquire("server-1", lease, Ttl);
        var waiting = grain.Acquire("server-2", LeaseIds.New(), Ttl, TimeSpan.FromSeconds(30));
        await Eventually.ReturnsAsync(() => grain.Describe(), d => d.WaitingCount == 1, "the waiter to queue");

        await grain.ReleaseLease(lease);
        var handedOver = await waiting;
        Assert.Equal(LockOutcome.Granted, handedOver.Outcome);
        Assert.Equal(grant.FencingToken + 1, handedOver.FencingToken);
        var stored = await ReadStoredAsync(cluster, name);
        Assert.Equal(("server-2", handedOver.FencingToken), (stored.State.Holder, stored.State.FencingToken));
    }

    [Fact]
    public async Task With_a_zero_delay_every_release_is_written_at_once()
    {
        await using var cluster = await StartAsync(TimeSpan.Zero);
        var name = LockNames.Unique("eager");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var lease = LeaseIds.New();
        var grant = await grain.TryAcquire("server-1", lease, Ttl);
        await grain.ReleaseLease(lease);

        var stored = await ReadStoredAsync(cluster, name);
        Assert.Null(stored.State.Holder);
        Assert.Equal(grant.FencingToken, stored.State.FencingToken);
    }

    [Fact]
    public async Task A_lease_of_the_owner_calls_is_released_at_once_whatever_the_delay()
    {
        // An owner reusing its name after a crash would find a lazily released lease again (Renewed, old token).
        await using var cluster = await StartAsync(TimeSpan.FromMinutes(1));
        var name = LockNames.Unique("owner-eager");
        var grain = cluster.Grains.GetGrain<ILockGrain>(name);
        var byOwner = await grain.TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Released, (await grain.Release("server-1", byOwner.FencingToken)).Outcome);
        Assert.Null((await ReadStoredAsync(cluster, name)).State.Holder);

        // Also when it is released by the lease id the grain made for it.
        var again = await grain.TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(again.LeaseId!)).Outcome);
        var stored = await ReadStoredAsync(cluster, name);
        Assert.Equal(((string?)null, again.FencingToken), (stored.State.Holder, stored.State.FencingToken));
    }

    [Fact]
    public void Lazy_release_is_the_silos_default()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), new LockGrainOptions().ReleaseWriteDelay);
    }

    private static async Task<PostgresTestCluster> StartAsync(TimeSpan releaseWriteDelay)
    {
        var database = await TestDatabase.CreateAsync("locks_lazy");
        return await PostgresTestCluster.StartAsync(database, $"lazy-{Guid.NewGuid():N}",
            configure: builder => ReleaseWriteDelayConfigurator.Prepare(builder, releaseWriteDelay));
    }

    private static async Task<(LockState State, string? ETag)> ReadStoredAsync(PostgresTestCluster cluster, string lockName)
    {
        var (state, etag, _) = await LockClusterFixture.ReadStoredAsync((InProcessSiloHandle)cluster.Cluster.GetActiveSilos().First(), lockName);
        return (state, etag);
    }
}
