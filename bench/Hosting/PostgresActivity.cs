using System.Diagnostics;
using Npgsql;

namespace LockService.Bench.Hosting;

/// <summary>
/// What the run's PostgreSQL server does, read from the server itself: write transactions (the next transaction id,
/// which only a writing transaction takes, so the count is exact and never lags) and the CPU time of the server's
/// processes (the postmaster and every process it started, from <c>/proc</c>), for the capacity figures
/// (docs/capacity.md: writes per second per PostgreSQL core); and whether it has gone quiet, so a peer's leftover
/// writes (the lock service writes releases a few seconds late) never fall into the next peer's window.
/// </summary>
internal sealed class PostgresActivity
{
    /// <summary>Write transactions per second below which the server counts as quiet (the silos' membership upkeep stays well under it).</summary>
    public const int QuietWritesPerSecond = 20;

    private readonly string _connectionString;
    private readonly int _postmaster;

    private PostgresActivity(string connectionString, int postmaster)
    {
        _connectionString = connectionString;
        _postmaster = postmaster;
    }

    /// <summary>Finds the server's postmaster (the parent of a backend) so its processes' CPU time can be read.</summary>
    public static async Task<PostgresActivity> AttachAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("SELECT pg_backend_pid()");
        var backend = (int)(await command.ExecuteScalarAsync())!;
        return new PostgresActivity(connectionString, ProcessCpu.ParentOf(backend) ?? throw new InvalidOperationException($"The parent of PostgreSQL backend {backend} could not be read from /proc: is the server on another machine?"));
    }

    /// <summary>The server's counters now.</summary>
    public async Task<Sample> SampleAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", connection);
        var nextTransaction = (long)(await command.ExecuteScalarAsync())!;
        return new Sample(Stopwatch.GetTimestamp(), nextTransaction, ServerCpuSeconds());
    }

    /// <summary>
    /// Waits until fewer than <see cref="QuietWritesPerSecond"/> write transactions a second have run for three seconds
    /// in a row, at most <paramref name="longest"/>. Returns whether it went quiet.
    /// </summary>
    public async Task<bool> WaitUntilQuietAsync(TimeSpan longest)
    {
        var started = Stopwatch.GetTimestamp();
        var previous = await SampleAsync();
        var quietSeconds = 0;
        while (Stopwatch.GetElapsedTime(started) < longest)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = await SampleAsync();
            quietSeconds = now.Since(previous).WritesPerSecond < QuietWritesPerSecond ? quietSeconds + 1 : 0;
            if (quietSeconds >= 3)
            {
                return true;
            }

            previous = now;
        }

        return false;
    }

    /// <summary>The CPU seconds the server has used so far: the postmaster and its children (backends, WAL writer, checkpointer, ...).</summary>
    public double ServerCpuSeconds() => ProcessCpu.SecondsOfTree(_postmaster);

    /// <summary>The server's counters at one moment.</summary>
    public sealed record Sample(long Timestamp, long NextTransaction, double CpuSeconds)
    {
        /// <summary>What the server did between <paramref name="earlier"/> and this sample.</summary>
        public Interval Since(Sample earlier) => new(
            Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds,
            NextTransaction - earlier.NextTransaction,
            CpuSeconds - earlier.CpuSeconds);
    }

    /// <summary>Write transactions and server CPU time over <paramref name="Seconds"/>.</summary>
    public sealed record Interval(double Seconds, long Writes, double CpuSeconds)
    {
        public double WritesPerSecond => Seconds > 0 ? Writes / Seconds : 0;
    }
}
