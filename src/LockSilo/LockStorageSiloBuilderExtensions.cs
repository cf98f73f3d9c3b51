using LockService.Grains;

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
            options.ConnectionString = connectionString;
        });
        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
        return builder;
    }

    /// <summary>Lock state and reminders in silo memory: for development and tests only, nothing survives a restart.</summary>
    public static ISiloBuilder AddLockInMemoryStorage(this ISiloBuilder builder)
    {
        builder.AddMemoryGrainStorage(LockGrainServices.StorageProviderName);
        builder.UseInMemoryReminderService();
        return builder;
    }
}
