using LockService.Testing;
using Orleans.Runtime;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Several <c>LockSilo</c> processes on a fresh database, as <c>scripts/cluster.sh</c> runs them, and a client connected
/// to all their gateways. For tests about real failures: a silo here can be killed with SIGKILL or stopped with SIGTERM,
/// and the survivors find out through the membership protocol alone. Every process is killed on dispose.
/// </summary>
public sealed class SiloProcessCluster : IAsyncDisposable
{
    private SiloProcessCluster(string database, string clusterId, string serviceId, IReadOnlyList<SiloProcess> silos, LockClientHost client)
    {
        Database = database;
        ClusterId = clusterId;
        ServiceId = serviceId;
        Silos = silos;
        Client = client;
    }

    public string Database { get; }

    public string ClusterId { get; }

    public string ServiceId { get; }

    public IReadOnlyList<SiloProcess> Silos { get; }

    public LockClientHost Client { get; }

    public IGrainFactory Grains => Client.Grains;

    public static async Task<SiloProcessCluster> StartAsync(string databasePrefix, int silos = 3)
    {
        var database = await TestDatabase.CreateAsync(databasePrefix);
        var (clusterId, serviceId) = ($"cluster-{Guid.NewGuid():N}", $"service-{Guid.NewGuid():N}");
        var started = new List<SiloProcess>();
        try
        {
            // The first silo alone creates the cluster's membership version row; the others then join it.
            started.Add(SiloProcess.Start(database, clusterId, serviceId));
            await started[0].WaitUntilReadyAsync();
            for (var i = 1; i < silos; i++)
            {
                started.Add(SiloProcess.Start(database, clusterId, serviceId));
            }

            foreach (var silo in started)
            {
                await silo.WaitUntilReadyAsync();
            }

            await Eventually.ReturnsAsync(
                () => ActiveSiloCountAsync(database, clusterId),
                count => count == silos,
                $"{silos} silos Active in the membership table");

            var client = await ConnectAsync(started, clusterId, serviceId);
            return new SiloProcessCluster(database, clusterId, serviceId, started, client);
        }
        catch
        {
            foreach (var silo in started)
            {
                await silo.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Another client of the same cluster, through every gateway, as a second application would connect.</summary>
    public Task<LockClientHost> ConnectClientAsync() => ConnectAsync(Silos, ClusterId, ServiceId);

    /// <summary>The silo process whose activation of <paramref name="grain"/> the grain directory knows of.</summary>
    public async Task<SiloProcess> FindHostAsync(IAddressable grain)
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var address = await management.GetActivationAddress(grain)
            ?? throw new InvalidOperationException("The grain directory knows no activation of the grain.");
        return Silos.Single(s => s.SiloPort == address.Endpoint.Port);
    }

    /// <summary>Silos of this cluster with status Active (3) in the ADO.NET membership table.</summary>
    public Task<long> ActiveSiloCountAsync() => ActiveSiloCountAsync(Database, ClusterId);

    /// <summary>Silos of this cluster declared Dead (6) in the membership table.</summary>
    public Task<long> DeadSiloCountAsync() =>
        TestDatabase.ScalarAsync<long>(Database, "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = 6", ("cluster", ClusterId));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync();
        }
        finally
        {
            foreach (var silo in Silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    private static Task<long> ActiveSiloCountAsync(string database, string clusterId) =>
        TestDatabase.ScalarAsync<long>(database, "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = 3", ("cluster", clusterId));

    private static Task<LockClientHost> ConnectAsync(IEnumerable<SiloProcess> silos, string clusterId, string serviceId) =>
        LockClientHost.StartAsync(options =>
        {
            foreach (var silo in silos)
            {
                options.Gateways.Add(silo.Gateway);
            }

            (options.ClusterId, options.ServiceId) = (clusterId, serviceId);
        });
}
