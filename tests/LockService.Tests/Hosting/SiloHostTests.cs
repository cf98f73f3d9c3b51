using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Tests.Hosting;

/// <summary>The silo program and the client library, as separate processes talking over TCP.</summary>
public sealed class SiloHostTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_silo_process_on_a_database_prepared_from_sql_serves_the_card_call_through_both_client_connection_modes()
    {
        var database = await TestDatabase.CreateAsync("locks_host");
        var (clusterId, serviceId) = ($"host-{Guid.NewGuid():N}", $"host-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(database, clusterId, serviceId);
        await silo.WaitUntilReadyAsync();
        Assert.DoesNotContain(database, silo.Output);

        var name = LockNames.Unique("backup");
        await using (var byGateway = await LockClientConnection.ConnectAsync(o =>
                     {
                         o.Gateways.Add(silo.Gateway);
                         (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
                     }))
        {
            var grainFactory = byGateway.Grains;
            var result = await grainFactory.GetGrain<ILockGrain>(name).TryAcquire("server-1", Ttl);
            Assert.Equal(LockOutcome.Granted, result.Outcome);
        }

        await using (var byMembershipTable = await LockClientConnection.ConnectAsync(o =>
                     {
                         o.Postgres = database;
                         (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
                     }))
        {
            var refused = await byMembershipTable.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-2", Ttl);
            Assert.Equal(LockOutcome.Busy, refused.Outcome);
            Assert.Equal("server-1", refused.Holder);
        }

        silo.Terminate();
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Without_a_database_the_silo_runs_as_a_development_cluster_and_says_nothing_is_durable()
    {
        var (clusterId, serviceId) = ($"dev-{Guid.NewGuid():N}", $"dev-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId);
        await silo.WaitUntilReadyAsync();
        Assert.Contains("NOTHING IS DURABLE", silo.Output);

        await using var client = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(silo.Gateway);
            (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
        });
        var result = await client.Grains.GetGrain<ILockGrain>(LockNames.Unique("dev")).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, result.Outcome);
    }

    [Fact]
    public async Task A_silo_refuses_a_port_another_silo_listens_on_and_the_first_keeps_serving()
    {
        var (clusterId, serviceId) = ($"twin-{Guid.NewGuid():N}", $"twin-{Guid.NewGuid():N}");
        await using var first = SiloProcess.Start(postgres: null, clusterId, serviceId);
        await first.WaitUntilReadyAsync();

        // Orleans would bind the port a second time (SO_REUSEPORT) and split the first silo's connections with it.
        await using var twin = SiloProcess.Start(postgres: null, $"other-{clusterId}", serviceId, gatewayPort: first.GatewayPort);
        Assert.Equal(3, await twin.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"port {first.GatewayPort} is already in use by another process", twin.Output);

        await using var client = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(first.Gateway);
            (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
        });
        var result = await client.Grains.GetGrain<ILockGrain>(LockNames.Unique("twin")).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, result.Outcome);
    }

    [Fact]
    public async Task A_handle_is_lost_when_the_cluster_becomes_unreachable()
    {
        var (clusterId, serviceId) = ($"gone-{Guid.NewGuid():N}", $"gone-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId);
        await silo.WaitUntilReadyAsync();
        await using var client = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(silo.Gateway);
            (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
        });
        var locks = client.Services.GetRequiredService<ILockProvider>();
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromMilliseconds(500) };
        await using var handle = (await locks.CreateLock(LockNames.Unique("unreachable"), options).TryAcquireAsync())!;

        silo.Kill();

        // Nothing can confirm the lease any more: the local deadline (3 s after the last confirmed refresh was sent) passes.
        await Eventually.ReturnsAsync(() => Task.FromResult(handle.HandleLostToken.IsCancellationRequested), lost => lost, "the handle to be lost");
    }

    [Fact]
    public async Task An_invalid_client_configuration_names_the_setting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LockClientConnection.ConnectAsync(o => o.Gateways.Add("no-port-here")));
        Assert.Contains("Invalid gateway 'no-port-here'", error.Message);
    }
}
