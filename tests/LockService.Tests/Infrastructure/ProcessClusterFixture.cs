using LockService.Testing;
namespace LockService.Tests.Infrastructure;

/// <summary>
/// A real cluster of silo processes on a fresh PostgreSQL database: the topology <c>scripts/cluster.sh</c> runs,
/// owned by the test run so every process is stopped at the end.
/// </summary>
public sealed class ProcessClusterFixture : IAsyncLifetime
{
    private SiloProcessGroup _group = null!;

    public string ConnectionString => _group.ConnectionString;

    public string ClusterId => _group.ClusterId;

    public string ServiceId => _group.ServiceId;

    public IReadOnlyList<SiloProcess> Silos => _group.Slots.Select(s => s.Process!).ToArray();

    /// <summary>What <c>. .cluster/env</c> gives a shell: how lockctl finds this cluster.</summary>
    public IReadOnlyDictionary<string, string> LockctlEnvironment => new Dictionary<string, string>
    {
        ["LOCKCTL_GATEWAYS"] = string.Join(',', _group.Gateways),
        ["LOCKCTL_CLUSTER_ID"] = ClusterId,
        ["LOCKCTL_SERVICE_ID"] = ServiceId,
    };

    public async Task InitializeAsync()
    {
        _group = new SiloProcessGroup(await TestDatabase.CreateAsync("locks_cli"), $"cli-{Guid.NewGuid():N}", $"cli-{Guid.NewGuid():N}");
        await _group.StartAsync(2);
    }

    public async Task DisposeAsync() => await _group.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection : ICollectionFixture<ProcessClusterFixture>
{
    public const string Name = "process cluster";
}
