using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Semaphores;

public sealed class SemaphoreClusterRestartTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Leases_limit_and_tokens_survive_a_full_cluster_restart_on_the_same_database()
    {
        var database = await TestDatabase.CreateAsync("locks_sem_restart");
        var serviceId = $"sem-restart-{Guid.NewGuid():N}";
        var name = LockNames.Unique("sem-restart");
        var kept = LeaseIds.New();

        SemaphoreResult held;
        await using (var before = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2))
        {
            var semaphore = before.Grains.GetGrain<ISemaphoreGrain>(name);
            var released = LeaseIds.New();
            await semaphore.TryAcquire("server-1", released, 2, Ttl);
            held = await semaphore.TryAcquire("server-2", kept, 2, Ttl);
            await semaphore.Release(released);
            Assert.Equal((2L, 1), (held.FencingToken, held.Slot!.Value));
        }

        await using var after = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2);
        var restarted = after.Grains.GetGrain<ISemaphoreGrain>(name);

        var description = await restarted.Describe();
        Assert.Equal((2, 2L), (description.MaxCount, description.FencingToken));
        var holder = Assert.Single(description.Holders);
        Assert.Equal(("server-2", 1, held.FencingToken, held.ExpiresAt!.Value), (holder.Owner, holder.Slot, holder.FencingToken, holder.ExpiresAt));
        Assert.Equal(LockOutcome.Renewed, (await restarted.Refresh(kept, Ttl)).Outcome);
        await Assert.ThrowsAsync<SemaphoreLimitMismatchException>(() => restarted.TryAcquire("server-3", LeaseIds.New(), 3, Ttl));

        var next = await restarted.TryAcquire("server-3", LeaseIds.New(), 2, Ttl);
        Assert.Equal((LockOutcome.Granted, 0, 3L), (next.Outcome, next.Slot!.Value, next.FencingToken));
    }
}
