using System.Globalization;
using LockService.Silo;
using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// The Npgsql settings of every PostgreSQL peer (<c>pg-row</c> and its slot-table semaphore, <c>pg-advisory</c>): the
/// silo's own for its lock-state pool, taken from the silo's code (<see cref="PostgresConnectionDefaults.ForPool"/>
/// with <see cref="PostgresPool.Storage"/>) rather than copied, so a baseline is exactly as tuned as the service it is
/// compared with (issue 19, item 1): statements prepared automatically (Max Auto Prepare 16), no session reset when a
/// connection goes back to its pool (No Reset On Close), at most 50 connections. Only the Application Name is the
/// peer's own, so <c>pg_stat_activity</c> tells its connections from the silos'.
/// </summary>
/// <remarks>
/// The silo skips the reset because its statements leave no session state behind. Neither do <c>pg-row</c>'s. The
/// advisory locks of <c>pg-advisory</c> are session state, but DistributedLock.Postgres unlocks them itself before a
/// connection is given back (or closes the connection), and only it uses that pool.
/// </remarks>
internal static class PeerConnections
{
    /// <summary><paramref name="connectionString"/> with the silo's lock-state tuning, named after <paramref name="peer"/>.</summary>
    public static string For(string connectionString, string peer)
    {
        var named = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = $"bench {peer}" };
        return PostgresConnectionDefaults.ForPool(named.ConnectionString, PostgresPool.Storage);
    }

    /// <summary>The tuning of <paramref name="tunedConnectionString"/>, for the run's record of the peer's configuration.</summary>
    public static SortedDictionary<string, string> Describe(string tunedConnectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(tunedConnectionString);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Npgsql Max Auto Prepare"] = settings.MaxAutoPrepare.ToString(CultureInfo.InvariantCulture),
            ["Npgsql No Reset On Close"] = settings.NoResetOnClose.ToString(),
            ["Npgsql Maximum Pool Size"] = settings.MaxPoolSize.ToString(CultureInfo.InvariantCulture),
            ["Npgsql Application Name"] = settings.ApplicationName ?? "",
            ["Npgsql tuning"] = "the silo's lock-state pool's (PostgresConnectionDefaults.ForPool(..., PostgresPool.Storage))",
        };
    }
}
