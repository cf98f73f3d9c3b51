using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>What the two PostgreSQL queue peers share: making their table and filling it afresh.</summary>
internal static class PgQueueTables
{
    /// <summary>Runs <paramref name="statements"/> (the table and its index) in one batch.</summary>
    public static async Task CreateAsync(NpgsqlDataSource dataSource, params string[] statements)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        }

        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>Empties <paramref name="table"/> (ids from 1 again) and inserts <paramref name="pending"/> pending tasks, then refreshes its statistics.</summary>
    public static async Task FillAsync(NpgsqlDataSource dataSource, string table, int pending)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"TRUNCATE {table} RESTART IDENTITY"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO {table} (payload) SELECT 'task ' || g FROM generate_series(1, $1) g") { Parameters = { new() { Value = pending } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"ANALYZE {table}"));
        await batch.ExecuteNonQueryAsync();
    }
}
