using LockService.Grains;
using LockService.Silo;
using Npgsql;

namespace Orleans.Hosting;

/// <summary>Where the lock grains keep their state and reminders.</summary>
public static class LockStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql; the providers default to SQL Server without it.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Lock state and reminders in PostgreSQL (the schema in <c>sql/</c>), each in a bounded pool of its own
    /// (<see cref="PostgresConnectionDefaults.ForPool"/>). Lock state writes share commits between grains
    /// (<see cref="LockService.Storage.BatchedGrainStorage"/>) unless <paramref name="storage"/> turns that off; either
    /// way the rows are those of Orleans' ADO.NET grain storage.
    /// </summary>
    public static ISiloBuilder AddLockPostgresStorage(this ISiloBuilder builder, string connectionString, LockStorageOptions? storage = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        storage ??= new LockStorageOptions();
        var stateConnection = PostgresConnectionDefaults.ForPool(connectionString, PostgresPool.Storage);
        if (storage.BatchWrites)
        {
            builder.AddBatchedAdoNetGrainStorage(LockGrainServices.StorageProviderName, stateConnection, options =>
            {
                options.MaxBatchesInFlight = storage.MaxBatchesInFlight;
                options.MaxBatchSize = storage.MaxBatchSize;
            });
        }
        else
        {
            builder.AddAdoNetGrainStorage(LockGrainServices.StorageProviderName, options =>
            {
                options.Invariant = NpgsqlInvariant;
                options.ConnectionString = stateConnection;
            });
        }

        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = PostgresConnectionDefaults.ForPool(connectionString, PostgresPool.Reminders);
        });
        return builder;
    }

    /// <summary>
    /// Every lock state read and write is one of the same few statements, so Npgsql is asked to prepare them on each
    /// pooled connection (PostgreSQL then parses and plans each once per connection instead of on every write), unless
    /// the connection string already sets Max Auto Prepare.
    /// </summary>
    /// <remarks>
    /// The provider opens and closes a pooled connection for every read and write. By default Npgsql then makes the
    /// next use of that connection reset its session first (CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD
    /// SEQUENCES, DISCARD TEMP, in front of the write). The grain storage statements never leave session state behind
    /// (no SET, no temporary tables, no cursors, no advisory locks, no LISTEN), so that work is skipped with
    /// No Reset On Close, unless the connection string sets it. This connection string is used by the lock grain
    /// storage only.
    /// </remarks>
    internal static string WithPreparedStatements(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = PostgresConnectionDefaults.GivenKeys(builder);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 16;
        }

        if (!given.Contains("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>Lock state and reminders in silo memory: for development and tests only, nothing survives a restart.</summary>
    public static ISiloBuilder AddLockInMemoryStorage(this ISiloBuilder builder)
    {
        builder.AddMemoryGrainStorage(LockGrainServices.StorageProviderName);
        builder.UseInMemoryReminderService();
        return builder;
    }
}
