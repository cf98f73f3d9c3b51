using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>pg-skip-leased</c>: the pattern of well-kept PostgreSQL queues. A claim is one statement that leases the oldest
/// pending (or expired) row, <c>UPDATE … WHERE id = (SELECT id … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING</c>, with a
/// lease id, an expiry and a growing claim token, and commits at once; the completion is a conditional update that
/// succeeds only for the current lease. No transaction or connection is held while the task is worked on.
/// </summary>
internal sealed class PgSkipLeasedQueue(NpgsqlDataSource dataSource, string tunedConnectionString, TimeSpan ttl) : IBenchQueue
{
    public string Name => "pg-skip-leased";

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(PeerConnections.Describe(tunedConnectionString), StringComparer.Ordinal)
    {
        ["kind"] = "PostgreSQL table, UPDATE ... WHERE id = (SELECT id ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING (lease id, expiry, claim token), then a conditional UPDATE by lease id",
        ["lease"] = ttl.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static async Task<PgSkipLeasedQueue> CreateAsync(string connectionString, TimeSpan ttl)
    {
        var tuned = PeerConnections.For(connectionString, "pg-skip-leased");
        var dataSource = NpgsqlDataSource.Create(tuned);
        await PgQueueTables.CreateAsync(
            dataSource,
            """
            CREATE TABLE IF NOT EXISTS bench_queue_leased (
                id bigserial PRIMARY KEY, payload text NOT NULL, status smallint NOT NULL DEFAULT 0, lease_id uuid,
                expires_at timestamptz, claim_token bigint NOT NULL DEFAULT 0, attempts integer NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX IF NOT EXISTS bench_queue_leased_open ON bench_queue_leased (id) WHERE status < 2");
        return new PgSkipLeasedQueue(dataSource, tuned, ttl);
    }

    public Task FillAsync(int pending) => PgQueueTables.FillAsync(dataSource, "bench_queue_leased", pending);

    public async Task<IBenchTaskClaim?> ClaimAsync()
    {
        var leaseId = Guid.NewGuid();
        await using var claim = dataSource.CreateCommand("""
            UPDATE bench_queue_leased
               SET status = 1, lease_id = $1, expires_at = now() + $2, claim_token = claim_token + 1, attempts = attempts + 1
             WHERE id = (SELECT id FROM bench_queue_leased
                          WHERE status < 2 AND (status = 0 OR expires_at < now())
                          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id
            """);
        claim.Parameters.AddWithValue(leaseId);
        claim.Parameters.AddWithValue(ttl);
        return await claim.ExecuteScalarAsync() is long id ? new LeasedClaim(dataSource, id, leaseId) : null;
    }

    public Task<long?> StorageBytesWrittenAsync() => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private sealed class LeasedClaim(NpgsqlDataSource dataSource, long id, Guid leaseId) : IBenchTaskClaim
    {
        public string TaskId { get; } = id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task<bool> CompleteAsync()
        {
            await using var done = dataSource.CreateCommand("UPDATE bench_queue_leased SET status = 2 WHERE id = $1 AND lease_id = $2 AND status = 1");
            done.Parameters.AddWithValue(id);
            done.Parameters.AddWithValue(leaseId);
            return await done.ExecuteNonQueryAsync() == 1;
        }
    }
}
