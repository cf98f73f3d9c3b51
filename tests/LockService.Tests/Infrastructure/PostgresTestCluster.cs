using LockService.Testing;
using Orleans.TestingHost;

namespace LockService.Tests.Infrastructure;

/// <summary>An in-process cluster on a given database and service id, for tests that need more than the shared fixture.</summary>
public sealed class PostgresTestCluster : IAsyncDisposable
{
    private PostgresTestCluster(TestCluster cluster) => Cluster = cluster;

    public TestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.Client;

    public static async Task<PostgresTestCluster> StartAsync(string connectionString, string serviceId, string? clusterId = null, short silos = 1,
        Action<TestClusterBuilder>? configure = null)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = clusterId ?? $"cluster-{Guid.NewGuid():N}";
        PostgresSiloConfigurator.Prepare(builder, connectionString);
        configure?.Invoke(builder);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new PostgresTestCluster(cluster);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
