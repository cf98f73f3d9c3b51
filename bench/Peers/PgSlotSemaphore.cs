using System.Collections.Concurrent;
using LockService.Bench.Timing;
using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// The PostgreSQL semaphore users write themselves: a table of N slot rows per name, a slot claimed with one
/// conditional update (the free row is found and locked with <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers
/// take different rows instead of queueing on one), released with another. Waiting polls with a 1–5 ms jittered
/// sleep (<see cref="PollingWait"/>), like <see cref="PgRowLock"/>. It names the slot but gives no fencing token.
/// </summary>
internal sealed class PgSlotSemaphore : IBenchSemaphore
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS semaphore_slots (
            name    text        NOT NULL,
            slot    int         NOT NULL,
            holder  text,
            expires timestamptz,
            PRIMARY KEY (name, slot)
        )
        """;

    // The N rows of a name, made once; a semaphore's limit is the number of its rows.
    private const string CreateSlotsSql = "INSERT INTO semaphore_slots (name, slot) SELECT $1, generate_series(0, $2 - 1) ON CONFLICT DO NOTHING";

    // One statement: lock a free (or expired) row, skipping rows others are claiming right now, and take it; no row
    // back means every slot is held.
    private const string AcquireSql = """
        UPDATE semaphore_slots SET holder = $1, expires = now() + $3
        WHERE name = $2 AND slot = (
            SELECT slot FROM semaphore_slots
            WHERE name = $2 AND (holder IS NULL OR expires < now())
            LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING slot
        """;

    private const string ReleaseSql = "UPDATE semaphore_slots SET holder = NULL, expires = NULL WHERE name = $1 AND slot = $2 AND holder = $3";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<(string, int), Task> _slotsCreated = new();
    private readonly string _holderPrefix = $"pg-slots:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private long _acquisitions;

    private PgSlotSemaphore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Creates the table if needed and empties it, on the lock peer's data source.</summary>
    public static async Task<PgSlotSemaphore> CreateAsync(NpgsqlDataSource dataSource)
    {
        await using (var command = dataSource.CreateCommand(Schema))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = dataSource.CreateCommand("TRUNCATE semaphore_slots"))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new PgSlotSemaphore(dataSource);
    }

    public async ValueTask<IBenchHandle?> AcquireAsync(string semaphoreName, int maxCount, TimeSpan ttl, TimeSpan timeout)
    {
        await _slotsCreated.GetOrAdd((semaphoreName, maxCount), key => CreateSlotsAsync(key.Item1, key.Item2));
        var holder = $"{_holderPrefix}:{Interlocked.Increment(ref _acquisitions)}";
        return await PollingWait.UntilAsync<IBenchHandle>(
            async () => await TryOnceAsync(semaphoreName, holder, ttl) is { } slot ? new Handle(this, semaphoreName, slot, holder) : null,
            timeout);
    }

    private async Task CreateSlotsAsync(string semaphoreName, int maxCount)
    {
        await using var command = _dataSource.CreateCommand(CreateSlotsSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = semaphoreName });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<int?> TryOnceAsync(string semaphoreName, string holder, TimeSpan ttl)
    {
        await using var command = _dataSource.CreateCommand(AcquireSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = holder });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = semaphoreName });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ttl });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetInt32(0) : null;
    }

    private sealed class Handle(PgSlotSemaphore peer, string semaphoreName, int slot, string holder) : IBenchHandle
    {
        public int? Slot => slot;

        public async ValueTask ReleaseAsync()
        {
            await using var command = peer._dataSource.CreateCommand(ReleaseSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = semaphoreName });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = slot });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = holder });
            await command.ExecuteNonQueryAsync();
        }
    }
}
