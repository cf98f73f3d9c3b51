using LockService.Testing;
namespace LockService.Tests.Infrastructure;

/// <summary>
/// A real cluster of silo processes on a fresh PostgreSQL database: the topology <c>scripts/cluster.sh</c> runs,
/// owned by the test run so every process is stopped at the end.
/// </summary>
public sealed class ProcessClusterFixture : IAsyncLifetime
{
    private readonly List<SiloProcess> _silos = [];

    public string ConnectionString { get; private set; } = null!;

    public string ClusterId { get; } = $"cli-{Guid.NewGuid():N}";

    public string ServiceId { get; } = $"cli-{Guid.NewGuid():N}";

    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <summary>What <c>. .cluster/env</c> gives a shell: how lockctl finds this cluster.</summary>
    public IReadOnlyDictionary<string, string> LockctlEnvironment => new Dictionary<string, string>
    {
        ["LOCKCTL_GATEWAYS"] = string.Join(',', _silos.Select(s => s.Gateway)),
        ["LOCKCTL_CLUSTER_ID"] = ClusterId,
        ["LOCKCTL_SERVICE_ID"] = ServiceId,
    };

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync("locks_cli");
        for (var i = 0; i < 2; i++)
        {
            _silos.Add(SiloProcess.Start(ConnectionString, ClusterId, ServiceId));
        }

        await Task.WhenAll(_silos.Select(s => s.WaitUntilReadyAsync()));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection : ICollectionFixture<ProcessClusterFixture>
{
    public const string Name = "process cluster";
}
