using Npgsql;
using Orleans.Hosting;

namespace LockService.Silo;

/// <summary>
/// Npgsql settings that make a lost database fail calls fast instead of hanging them. Npgsql waits 15 s to connect
/// and 30 s for a command by default; while a lock grain waits on storage, every other call to that lock queues
/// behind it, so after an outage the backlog, not the database, decides when locks are served again. A failed write
/// fails closed either way; failing it in seconds lets the lock answer again seconds after the database is back.
/// And pools of a bounded size, one per provider, so a cluster cannot open more connections than the server allows.
/// Values the operator set in the connection string win.
/// </summary>
public static class PostgresConnectionDefaults
{
    /// <summary>Seconds to wait for a connection, unless the connection string says otherwise.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>Seconds to wait for a statement, unless the connection string says otherwise.</summary>
    public const int CommandTimeoutSeconds = 5;

    /// <summary>The connection and command timeouts above, unless <paramref name="connectionString"/> sets them.</summary>
    public static string Apply(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = GivenKeys(builder);
        if (!given.Contains("Timeout"))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }

        if (!given.Contains("Command Timeout"))
        {
            builder.CommandTimeout = CommandTimeoutSeconds;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Largest membership-table pool per silo: a handful of statements per probe and I-am-alive period.
    /// </summary>
    public const int ClusteringPoolSize = 10;

    /// <summary>
    /// Largest lock-state pool per silo: every grant, renewal and release is one write, and on a few cores 50 writes
    /// in flight already queue on the database's CPU and WAL flush; more would only wait there instead of in the pool.
    /// </summary>
    public const int StoragePoolSize = 50;

    /// <summary>Largest reminder pool per silo: reminders are read per ring range and written when registered.</summary>
    public const int RemindersPoolSize = 10;

    /// <summary>
    /// The connection string the silo opens <paramref name="pool"/> with: a pool of its own (named by Application
    /// Name, which also tells the pools apart in <c>pg_stat_activity</c>) with a bounded Maximum Pool Size, so a
    /// cluster's worst case is silos × (10 + 50 + 10) connections instead of Npgsql's 100 per pool. Values the
    /// operator set in the connection string win.
    /// </summary>
    public static string ForPool(string connectionString, PostgresPool pool)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = GivenKeys(builder);
        if (!given.Contains("Maximum Pool Size"))
        {
            builder.MaxPoolSize = pool switch
            {
                PostgresPool.Clustering => ClusteringPoolSize,
                PostgresPool.Storage => StoragePoolSize,
                PostgresPool.Reminders => RemindersPoolSize,
                _ => throw new ArgumentOutOfRangeException(nameof(pool), pool, "Unknown PostgreSQL pool."),
            };
        }

        if (!given.Contains("Application Name"))
        {
            builder.ApplicationName = $"lock-silo {pool.ToString().ToLowerInvariant()}";
        }

        var pooled = builder.ConnectionString;
        return pool == PostgresPool.Storage ? LockStorageSiloBuilderExtensions.WithPreparedStatements(pooled) : pooled;
    }

    // The builder writes back only the keys that were set, under their canonical names.
    internal static HashSet<string> GivenKeys(NpgsqlConnectionStringBuilder builder) =>
        builder.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)[0].Trim())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
