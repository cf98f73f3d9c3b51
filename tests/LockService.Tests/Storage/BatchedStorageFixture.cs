using LockService.Grains;
using LockService.Storage;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Storage;

/// <summary>
/// One silo on a database of its own, with the lock service's storage as the silo registers it (<c>locks</c>, batched by
/// default) and, beside it on the same database and service id, two more providers for the storage tests: the stock
/// ADO.NET grain storage (<see cref="Stock"/>) and a batched one that sends one commit at a time (<see cref="Batched"/>),
/// so a test can hold that commit and see what queues behind it.
/// </summary>
public sealed class BatchedStorageFixture : IAsyncLifetime
{
    public const string StockProvider = "stock-test";
    public const string BatchedProvider = "batched-test";

    private PostgresTestCluster _cluster = null!;

    public string ConnectionString { get; private set; } = null!;

    public string ServiceId { get; } = $"batched-{Guid.NewGuid():N}";

    public IGrainFactory Grains => _cluster.Grains;

    /// <summary>Orleans' own ADO.NET grain storage.</summary>
    public IGrainStorage Stock => Service<IGrainStorage>(StockProvider);

    /// <summary>A batched grain storage with one commit in flight at most.</summary>
    public IGrainStorage Batched => Service<IGrainStorage>(BatchedProvider);

    public GroupCommitStatistics BatchedStatistics => Service<GroupCommitStatistics>(BatchedProvider);

    /// <summary>The silo's lock storage, as the lock and semaphore grains use it.</summary>
    public IGrainStorage Locks => Service<IGrainStorage>(LockGrainServices.StorageProviderName);

    public GroupCommitStatistics LockStatistics => Service<GroupCommitStatistics>(LockGrainServices.StorageProviderName);

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync("locks_batched");
        _cluster = await PostgresTestCluster.StartAsync(ConnectionString, ServiceId, configure: builder => builder.AddSiloBuilderConfigurator<TestProviders>());
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// Blocks every write to the grain storage table (reads go on) until the returned hold is released: a commit sent
    /// meanwhile waits inside PostgreSQL, and what arrives after it queues in the silo.
    /// </summary>
    public async Task<DatabaseHold> HoldAllWritesAsync()
    {
        var hold = await DatabaseHold.BeginAsync(ConnectionString);
        await hold.ExecuteAsync("LOCK TABLE orleansstorage IN SHARE ROW EXCLUSIVE MODE");
        return hold;
    }

    /// <summary>Blocks writes to the one row whose payload contains <paramref name="marker"/> until released.</summary>
    public async Task<DatabaseHold> HoldRowAsync(string marker)
    {
        var hold = await DatabaseHold.BeginAsync(ConnectionString);
        await hold.ExecuteAsync("SELECT 1 FROM orleansstorage WHERE position(convert_to(@marker, 'UTF8') in payloadbinary) > 0 FOR UPDATE", ("marker", marker));
        return hold;
    }

    /// <summary>Every stored column (all but modifiedon) of the one row whose payload contains <paramref name="marker"/>, or null.</summary>
    public async Task<StoredRow?> RowAsync(string marker)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid,
                   encode(payloadbinary, 'hex'), version
            FROM orleansstorage WHERE position(convert_to(@marker, 'UTF8') in payloadbinary) > 0
            """, connection);
        command.Parameters.AddWithValue("marker", marker);
        var rows = new List<StoredRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredRow(
                reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetInt32(8)));
        }

        return rows.Count switch
        {
            0 => null,
            1 => rows[0],
            _ => throw new InvalidOperationException($"{rows.Count} rows carry the marker {marker}."),
        };
    }

    /// <summary>Deletes the row whose payload contains <paramref name="marker"/>.</summary>
    public Task<int> DeleteRowAsync(string marker) =>
        TestDatabase.ExecuteAsync(ConnectionString, "DELETE FROM orleansstorage WHERE position(convert_to(@marker, 'UTF8') in payloadbinary) > 0", ("marker", marker));

    /// <summary>Sets the version of the row whose payload contains <paramref name="marker"/>, as another writer would move it.</summary>
    public Task<int> SetVersionAsync(string marker, int version) =>
        TestDatabase.ExecuteAsync(ConnectionString, "UPDATE orleansstorage SET version = @version WHERE position(convert_to(@marker, 'UTF8') in payloadbinary) > 0", ("marker", marker), ("version", version));

    private T Service<T>(string key)
        where T : notnull =>
        ((InProcessSiloHandle)_cluster.Cluster.GetActiveSilos().First()).SiloHost!.Services.GetRequiredKeyedService<T>(key);

    public sealed class TestProviders : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var connectionString = silo.Configuration[PostgresClusterFixture.ConnectionStringKey]!;
            silo.AddAdoNetGrainStorage(StockProvider, options =>
            {
                options.Invariant = LockStorageSiloBuilderExtensions.NpgsqlInvariant;
                options.ConnectionString = connectionString;
            });
            silo.AddBatchedAdoNetGrainStorage(BatchedProvider, connectionString, options => options.MaxBatchesInFlight = 1);
        }
    }
}

/// <summary>One grain storage row as stored: every column but modifiedon, the payload as hex.</summary>
public sealed record StoredRow(int GrainIdHash, long N0, long N1, int GrainTypeHash, string GrainType, string? Extension, string ServiceId, string PayloadHex, int Version);

/// <summary>A transaction a test keeps open to hold locks in PostgreSQL; rolled back on release.</summary>
public sealed class DatabaseHold : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private DatabaseHold(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<DatabaseHold> BeginAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return new DatabaseHold(connection, await connection.BeginTransactionAsync());
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Rolls the transaction back (disposing an uncommitted one does) and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
