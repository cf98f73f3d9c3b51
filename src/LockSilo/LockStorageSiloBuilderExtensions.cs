using LockService.Grains;
using Npgsql;

namespace Orleans.Hosting;

/// <summary>Where the lock grains keep their state and reminders.</summary>
public static class LockStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql; the providers default to SQL Server without it.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Lock state and reminders in PostgreSQL (the schema in <c>sql/</c>).
    /// </summary>
    public static ISiloBuilder AddLockPostgresStorage(this ISiloBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddAdoNetGrainStorage(LockGrainServices.StorageProviderName, options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = WithPreparedStatements(connectionString);
        });
        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
        return builder;
    }

    /// <summary>
    /// Every lock state read and write is one of the same few statements, so Npgsql is asked to prepare them on each
    /// pooled connection (PostgreSQL then parses and plans each once per connection instead of on every write), unless
    /// the connection string already sets Max Auto Prepare.
    /// </summary>
    internal static string WithPreparedStatements(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 16;
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
