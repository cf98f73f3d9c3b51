using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>pg-skip-held</c>: the seed's pattern. A claim opens a transaction and locks the oldest pending row with
/// <c>SELECT … FOR UPDATE SKIP LOCKED</c>; the row lock (and the connection) is held until the completion marks it
/// done and commits. A worker that dies frees its task only when its connection drops; nothing fences it.
/// </summary>
internal sealed class PgSkipHeldQueue(NpgsqlDataSource dataSource, string tunedConnectionString) : IBenchQueue
{
    public string Name => "pg-skip-held";

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(PeerConnections.Describe(tunedConnectionString), StringComparer.Ordinal)
    {
        ["kind"] = "PostgreSQL table, SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1 in a transaction held open until the completion's UPDATE and COMMIT",
    };

    public static async Task<PgSkipHeldQueue> CreateAsync(string connectionString)
    {
        var tuned = PeerConnections.For(connectionString, "pg-skip-held");
        var dataSource = NpgsqlDataSource.Create(tuned);
        await PgQueueTables.CreateAsync(
            dataSource,
            "CREATE TABLE IF NOT EXISTS bench_queue_held (id bigserial PRIMARY KEY, payload text NOT NULL, done boolean NOT NULL DEFAULT false)",
            "CREATE INDEX IF NOT EXISTS bench_queue_held_pending ON bench_queue_held (id) WHERE NOT done");
        return new PgSkipHeldQueue(dataSource, tuned);
    }

    public Task FillAsync(int pending) => PgQueueTables.FillAsync(dataSource, "bench_queue_held", pending);

    public async Task<IBenchTaskClaim?> ClaimAsync()
    {
        var connection = await dataSource.OpenConnectionAsync();
        try
        {
            var transaction = await connection.BeginTransactionAsync();
            await using var claim = new NpgsqlCommand("SELECT id FROM bench_queue_held WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", connection, transaction);
            if (await claim.ExecuteScalarAsync() is not long id)
            {
                await transaction.RollbackAsync();
                await connection.DisposeAsync();
                return null;
            }

            return new HeldClaim(connection, transaction, id);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task<long?> StorageBytesWrittenAsync() => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private sealed class HeldClaim(NpgsqlConnection connection, NpgsqlTransaction transaction, long id) : IBenchTaskClaim
    {
        public string TaskId { get; } = id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task<bool> CompleteAsync()
        {
            try
            {
                await using var done = new NpgsqlCommand("UPDATE bench_queue_held SET done = true WHERE id = $1", connection, transaction);
                done.Parameters.AddWithValue(id);
                var updated = await done.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                return updated == 1;
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
