using LockService.Testing;
using Orleans.TestingHost;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// The production configuration: ADO.NET clustering, lock state and reminders on a fresh PostgreSQL database
/// prepared only from <c>sql/</c>, registered exactly as the silo host registers them.
/// </summary>
public sealed class PostgresClusterFixture : LockClusterFixture
{
    public const string ConnectionStringKey = "LockTestPostgres";

    public string ConnectionString { get; private set; } = null!;

    public string ServiceId => Cluster.Options.ServiceId;

    public override string Backend => "postgres";

    protected override async Task ConfigureAsync(TestClusterBuilder builder)
    {
        ConnectionString = await TestDatabase.CreateAsync("locks_fixture");
        PostgresSiloConfigurator.Prepare(builder, ConnectionString);
    }
}

/// <summary>Silo and client configuration for an in-process cluster on PostgreSQL, shared by every PostgreSQL test cluster.</summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator, IClientBuilderConfigurator
{
    public static void Prepare(TestClusterBuilder builder, string connectionString)
    {
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[PostgresClusterFixture.ConnectionStringKey] = connectionString;
        builder.AddSiloBuilderConfigurator<PostgresSiloConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresSiloConfigurator>();
    }

    public void Configure(ISiloBuilder silo)
    {
        var connectionString = silo.Configuration[PostgresClusterFixture.ConnectionStringKey]!;
        if (silo.Configuration[TestClocks.ConfigurationKey] is not null)
        {
            LockClusterFixture.UseTestClock(silo);
        }

        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = LockStorageSiloBuilderExtensions.NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
        silo.AddLockPostgresStorage(connectionString);
        silo.AddLockGrains();
        silo.AddSemaphoreGrains();
        silo.AddWorkQueueGrains();
    }

    public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder client)
    {
        client.UseAdoNetClustering(options =>
        {
            options.Invariant = LockStorageSiloBuilderExtensions.NpgsqlInvariant;
            options.ConnectionString = configuration[PostgresClusterFixture.ConnectionStringKey];
        });
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "postgres cluster";
}
