using Npgsql;

namespace LockService.Silo;

/// <summary>
/// Npgsql settings that make a lost database fail calls fast instead of hanging them. Npgsql waits 15 s to connect
/// and 30 s for a command by default; while a lock grain waits on storage, every other call to that lock queues
/// behind it, so after an outage the backlog, not the database, decides when locks are served again. A failed write
/// fails closed either way; failing it in seconds lets the lock answer again seconds after the database is back.
/// Values the operator set in the connection string win.
/// </summary>
public static class PostgresConnectionDefaults
{
    /// <summary>Seconds to wait for a connection, unless the connection string says otherwise.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>Seconds to wait for a statement, unless the connection string says otherwise.</summary>
    public const int CommandTimeoutSeconds = 5;

    public static string Apply(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // The builder writes back only the keys that were set, under their canonical names.
        var given = builder.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)[0].Trim())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
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
}
