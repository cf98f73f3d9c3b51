using LockService.Client;
using LockService.Testing;
using Orleans.Runtime;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Several <c>LockSilo</c> processes on a fresh database (a <see cref="SiloProcessGroup"/>) and a client connected to
/// all their gateways. For tests about real failures: a silo here can be killed with SIGKILL or stopped with SIGTERM,
/// and the survivors find out through the membership protocol alone. Every process is killed on dispose.
/// </summary>
public sealed class SiloProcessCluster : IAsyncDisposable
{
    private readonly SiloProcessGroup _group;

    private SiloProcessCluster(SiloProcessGroup group, LockClientConnection client)
    {
        _group = group;
        Client = client;
    }

    public string Database => _group.ConnectionString;

    public string ClusterId => _group.ClusterId;

    public string ServiceId => _group.ServiceId;

    public IReadOnlyList<SiloProcess> Silos => _group.Slots.Select(s => s.Process!).ToArray();

    public LockClientConnection Client { get; }

    public IGrainFactory Grains => Client.Grains;

    public static async Task<SiloProcessCluster> StartAsync(string databasePrefix, int silos = 3)
    {
        var group = new SiloProcessGroup(await TestDatabase.CreateAsync(databasePrefix), $"cluster-{Guid.NewGuid():N}", $"service-{Guid.NewGuid():N}");
        try
        {
            await group.StartAsync(silos);
            return new SiloProcessCluster(group, await ConnectAsync(group));
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    /// <summary>Another client of the same cluster, through every gateway, as a second application would connect.</summary>
    public Task<LockClientConnection> ConnectClientAsync() => ConnectAsync(_group);

    /// <summary>The silo process whose activation of <paramref name="grain"/> the grain directory knows of.</summary>
    public async Task<SiloProcess> FindHostAsync(IAddressable grain)
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var address = await management.GetActivationAddress(grain)
            ?? throw new InvalidOperationException("The grain directory knows no activation of the grain.");
        return _group.SlotOf(address.Endpoint.Port)!.Process!;
    }

    /// <summary>Gateways of every slot, whether or not its silo is up: what another client process is given.</summary>
    public IEnumerable<string> Gateways => _group.Gateways;

    /// <summary>Starts the silo of slot <paramref name="index"/> again (after a kill), on the same ports, and waits until it serves.</summary>
    public Task RestartAsync(int index) => _group.RestartAsync(_group.Slots[index]);

    /// <summary>Silos of this cluster with status Active (3) in the ADO.NET membership table.</summary>
    public Task<long> ActiveSiloCountAsync() => _group.ActiveSiloCountAsync();

    /// <summary>Silos of this cluster declared Dead (6) in the membership table.</summary>
    public Task<long> DeadSiloCountAsync() => _group.DeadSiloCountAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync();
        }
        finally
        {
            await _group.DisposeAsync();
        }
    }

    private static Task<LockClientConnection> ConnectAsync(SiloProcessGroup group) =>
        LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in group.Gateways)
            {
                options.Gateways.Add(gateway);
            }

            (options.ClusterId, options.ServiceId) = (group.ClusterId, group.ServiceId);
        });
}
