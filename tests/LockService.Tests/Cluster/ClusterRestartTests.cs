using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cluster;

public sealed class ClusterRestartTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Leases_and_fencing_tokens_survive_a_full_cluster_restart_on_the_same_database()
    {
        var database = await TestDatabase.CreateAsync("locks_restart");
        var serviceId = $"restart-{Guid.NewGuid():N}";
        var name = LockNames.Unique("restart");

        LockResult held;
        await using (var before = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2))
        {
            var lockGrain = before.Grains.GetGrain<ILockGrain>(name);
            var first = await lockGrain.TryAcquire("server-1", Ttl);
            await lockGrain.Release("server-1", first.FencingToken);
            held = await lockGrain.TryAcquire("server-2", Ttl);
            Assert.Equal(2, held.FencingToken);
        }

        await using var after = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2);
        var restarted = after.Grains.GetGrain<ILockGrain>(name);

        var description = await restarted.Describe();
        Assert.Equal(("server-2", held.FencingToken, held.ExpiresAt), (description.Holder, description.FencingToken, description.ExpiresAt));
        Assert.Equal(LockOutcome.Busy, (await restarted.TryAcquire("server-3", Ttl)).Outcome);
        Assert.Equal(LockOutcome.Renewed, (await restarted.Refresh("server-2", held.FencingToken, Ttl)).Outcome);

        Assert.Equal(LockOutcome.Released, (await restarted.Release("server-2", held.FencingToken)).Outcome);
        var next = await restarted.TryAcquire("server-3", Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(3, next.FencingToken);
    }
}
