using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Semaphores;

/// <summary>The silo program hosts the semaphore grain: a separate process, on a database prepared from sql/.</summary>
public sealed class SemaphoreSiloProcessTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_silo_process_serves_try_acquire_refresh_release_and_describe()
    {
        var database = await TestDatabase.CreateAsync("locks_sem_host");
        var (clusterId, serviceId) = ($"sem-host-{Guid.NewGuid():N}", $"sem-host-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(database, clusterId, serviceId);
        await silo.WaitUntilReadyAsync();

        await using (var client = await LockClientConnection.ConnectAsync(o =>
                     {
                         o.Gateways.Add(silo.Gateway);
                         (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
                     }))
        {
            var semaphore = client.Grains.GetGrain<ISemaphoreGrain>(LockNames.Unique("sem-host"));
            var leaseId = LeaseIds.New();
            var granted = await semaphore.TryAcquire("server-1", leaseId, 2, Ttl);
            Assert.Equal((LockOutcome.Granted, 0, 1L), (granted.Outcome, granted.Slot!.Value, granted.FencingToken));
            Assert.Equal(LockOutcome.Granted, (await semaphore.TryAcquire("server-2", LeaseIds.New(), 2, Ttl)).Outcome);
            Assert.Equal(LockOutcome.Busy, (await semaphore.TryAcquire("server-3", LeaseIds.New(), 2, Ttl)).Outcome);
            Assert.Equal(LockOutcome.Renewed, (await semaphore.Refresh(leaseId, Ttl)).Outcome);

            var description = await semaphore.Describe();
            Assert.Equal((2, 2L), (description.MaxCount, description.FencingToken));
            Assert.Equal(["server-1", "server-2"], description.Holders.Select(holder => holder.Owner));

            Assert.Equal(LockOutcome.Released, (await semaphore.Release(leaseId)).Outcome);
            var next = await semaphore.TryAcquire("server-3", LeaseIds.New(), 2, Ttl);
            Assert.Equal((LockOutcome.Granted, 0, 3L), (next.Outcome, next.Slot!.Value, next.FencingToken));
        }

        silo.Terminate();
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
