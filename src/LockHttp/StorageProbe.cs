using Npgsql;

namespace LockService.Http;

/// <summary>
/// A cheap query on the silo's PostgreSQL (<c>SELECT 1</c>), over a small pool of its own with short timeouts, so a
/// database outage makes <c>/readyz</c> fail within seconds without taking a connection from the grains' pools.
/// </summary>
internal sealed class StorageProbe
{
    /// <summary>Seconds to connect and to run the query before the storage counts as unreachable.</summary>
    public const int TimeoutSeconds = 2;

    private readonly string? _connectionString;

    /// <summary>Probes <paramref name="connectionString"/>; <see langword="null"/> means in-memory storage, always reachable.</summary>
    public StorageProbe(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }

        _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = TimeoutSeconds,
            CommandTimeout = TimeoutSeconds,
            MaxPoolSize = 2,
            ApplicationName = "lock-silo readiness",
        }.ConnectionString;
    }

    /// <summary>Whether there is a database to probe.</summary>
    public bool IsDurable => _connectionString is not null;

    /// <summary>Runs the query; throws what Npgsql throws when the database does not answer in time.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        if (_connectionString is null)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(TimeoutSeconds * 2));
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false);
    }
}
