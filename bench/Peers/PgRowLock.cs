using LockService.Bench.Timing;
using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// The lock table users write themselves (the seed project): <c>locks(lock_name primary key, lock_owner, lock_time,
/// expires_at)</c>. Acquire is one upsert that only takes the row when it is expired or already ours; release is one
/// conditional delete. Waiting retries after a 1–5 ms jittered sleep (<see cref="PollingWait"/>). Its connections are
/// tuned as the silo tunes its own storage's (<see cref="PeerConnections"/>).
/// </summary>
internal sealed class PgRowLock : IBenchLock
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS locks (
            lock_name  text        PRIMARY KEY,
            lock_owner text        NOT NULL,
            lock_time  timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """;

    // One statement: insert, or take over an expired row, or renew our own; no row back means someone else holds it.
    private const string AcquireSql = """
        INSERT INTO locks (lock_name, lock_owner, lock_time, expires_at)
        VALUES ($1, $2, now(), now() + $3)
        ON CONFLICT (lock_name) DO UPDATE
            SET lock_owner = excluded.lock_owner, lock_time = excluded.lock_time, expires_at = excluded.expires_at
            WHERE locks.expires_at <= now() OR locks.lock_owner = excluded.lock_owner
        RETURNING lock_owner
        """;

    private const string ReleaseSql = "DELETE FROM locks WHERE lock_name = $1 AND lock_owner = $2";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _ownerPrefix = $"pg-row:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private long _acquisitions;

    private PgRowLock(NpgsqlDataSource dataSource, IReadOnlyDictionary<string, string> configuration)
    {
        _dataSource = dataSource;
        Configuration = configuration;
    }

    public string Name => "pg-row";

    public IReadOnlyDictionary<string, string> Configuration { get; }

    public static async Task<PgRowLock> CreateAsync(string connectionString)
    {
        var tuned = PeerConnections.For(connectionString, "pg-row");
        var dataSource = NpgsqlDataSource.Create(tuned);
        await using (var command = dataSource.CreateCommand(Schema))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = dataSource.CreateCommand("TRUNCATE locks"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var configuration = PeerConnections.Describe(tuned);
        configuration["kind"] = "lock table: INSERT ... ON CONFLICT (lock_name) DO UPDATE ... WHERE expired OR same owner RETURNING; conditional DELETE";
        configuration["waiting"] = "polls: retries after a 1-5 ms jittered sleep";
        configuration["semaphore (f)"] = "slot table: UPDATE ... WHERE slot = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING slot, same connections, polls like the lock";
        return new PgRowLock(dataSource, configuration);
    }

    public async ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl)
    {
        var owner = $"{_ownerPrefix}:{Interlocked.Increment(ref _acquisitions)}";
        return await TryOnceAsync(lockName, owner, ttl) ? new Handle(this, lockName, owner) : null;
    }

    public ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout)
    {
        var owner = $"{_ownerPrefix}:{Interlocked.Increment(ref _acquisitions)}";
        return PollingWait.UntilAsync<IBenchHandle>(async () => await TryOnceAsync(lockName, owner, ttl) ? new Handle(this, lockName, owner) : null, timeout);
    }

    public async ValueTask<IBenchSemaphore?> CreateSemaphoreAsync() => await PgSlotSemaphore.CreateAsync(_dataSource);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<bool> TryOnceAsync(string lockName, string owner, TimeSpan ttl)
    {
        await using var command = _dataSource.CreateCommand(AcquireSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lockName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ttl });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync();
    }

    private sealed class Handle(PgRowLock peer, string lockName, string owner) : IBenchHandle
    {
        public async ValueTask ReleaseAsync()
        {
            await using var command = peer._dataSource.CreateCommand(ReleaseSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lockName });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            await command.ExecuteNonQueryAsync();
        }
    }
}
