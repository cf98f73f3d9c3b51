using Npgsql;

namespace LockService.Chaos.Workload;

/// <summary>
/// What the locks protect, in PostgreSQL: a fenced resource that accepts a write only with a token at least the highest
/// it has seen (and logs every accepted write), and an unfenced counter updated read-sleep-write, which shows whether
/// the lock alone kept it safe.
/// </summary>
public sealed class ProtectedResources(NpgsqlDataSource database)
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS chaos_fenced (lock_name text PRIMARY KEY, max_token bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS chaos_fenced_log (seq bigserial PRIMARY KEY, lock_name text NOT NULL, token bigint NOT NULL, client text NOT NULL);
        CREATE TABLE IF NOT EXISTS chaos_counter (lock_name text PRIMARY KEY, value bigint NOT NULL);
        """;

    /// <summary>The fenced resource of one slot of a semaphore: its own row, so each slot keeps its own highest token.</summary>
    public static string SlotResource(string semaphoreName, int slot) => $"{semaphoreName}/slot-{slot}";

    /// <summary>True if accepted. One statement: the row lock orders concurrent writers, and the log row is taken under it.</summary>
    public async Task<bool> FencedWriteAsync(string lockName, long token, string client)
    {
        await using var command = database.CreateCommand("""
            WITH accepted AS (
                INSERT INTO chaos_fenced (lock_name, max_token) VALUES ($1, $2)
                ON CONFLICT (lock_name) DO UPDATE SET max_token = EXCLUDED.max_token
                WHERE chaos_fenced.max_token <= EXCLUDED.max_token
                RETURNING 1)
            INSERT INTO chaos_fenced_log (lock_name, token, client) SELECT $1, $2, $3 FROM accepted RETURNING seq
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = lockName });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        command.Parameters.Add(new NpgsqlParameter { Value = client });
        return await command.ExecuteScalarAsync() is not null;
    }

    /// <summary>Read, pause, write: safe only if the lock really excluded everyone else meanwhile.</summary>
    public async Task IncrementUnfencedAsync(string lockName)
    {
        await using var read = database.CreateCommand("SELECT value FROM chaos_counter WHERE lock_name = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = lockName });
        var value = await read.ExecuteScalarAsync() is long current ? current : 0L;
        await Task.Delay(5);
        await using var write = database.CreateCommand(
            "INSERT INTO chaos_counter (lock_name, value) VALUES ($1, $2) ON CONFLICT (lock_name) DO UPDATE SET value = EXCLUDED.value");
        write.Parameters.Add(new NpgsqlParameter { Value = lockName });
        write.Parameters.Add(new NpgsqlParameter { Value = value + 1 });
        await write.ExecuteNonQueryAsync();
    }
}
