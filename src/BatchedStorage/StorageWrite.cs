using Npgsql;
using NpgsqlTypes;

namespace LockService.Storage;

/// <summary>
/// One grain's state write waiting for, or travelling in, a shared commit: the WriteToStorageKey statement with the
/// parameters the stock ADO.NET provider binds (same names, same PostgreSQL types), and the place its own result goes.
/// </summary>
internal sealed class StorageWrite
{
    private readonly TaskCompletionSource<string?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public required string QueryText { get; init; }

    /// <summary>The row this write targets (state name and grain id); at most one write per row is queued or in flight.</summary>
    public required (string StateName, GrainId GrainId) Row { get; init; }

    public required int GrainIdHash { get; init; }

    public required StorageRowKey Key { get; init; }

    public required int GrainTypeHash { get; init; }

    public required string GrainTypeString { get; init; }

    public required string ServiceId { get; init; }

    /// <summary>The grain's ETag as a number, or null for a grain never stored (the first write inserts).</summary>
    public required int? Version { get; init; }

    public required byte[] Payload { get; init; }

    /// <summary>
    /// The statement's NewGrainStateVersion as the stock provider reads it: the new version, <c>""</c> for NULL (nothing
    /// written), <see langword="null"/> for no row; or the exception that failed this write.
    /// </summary>
    public Task<string?> Result => _result.Task;

    public void Succeed(string? storageVersion) => _result.TrySetResult(storageVersion);

    public void Fail(Exception exception) => _result.TrySetException(exception);

    /// <summary>
    /// The order writes take inside a batch: every batch, on every silo, locks rows in this one order, so two batches
    /// that touch the same rows (only a duplicate activation can make that happen) wait for each other instead of
    /// deadlocking.
    /// </summary>
    public static int LockOrder(StorageWrite x, StorageWrite y)
    {
        var order = x.GrainTypeHash.CompareTo(y.GrainTypeHash);
        order = order != 0 ? order : x.GrainIdHash.CompareTo(y.GrainIdHash);
        order = order != 0 ? order : x.Key.N0.CompareTo(y.Key.N0);
        order = order != 0 ? order : x.Key.N1.CompareTo(y.Key.N1);
        order = order != 0 ? order : string.CompareOrdinal(x.GrainTypeString, y.GrainTypeString);
        return order != 0 ? order : string.CompareOrdinal(x.Key.StringKey, y.Key.StringKey);
    }

    /// <summary>The statement with its parameters (the stock provider's DbType mapping: Int32, Int64, String, Binary).</summary>
    public NpgsqlBatchCommand ToBatchCommand()
    {
        var command = new NpgsqlBatchCommand(QueryText);
        command.Parameters.Add(new NpgsqlParameter("GrainIdHash", NpgsqlDbType.Integer) { Value = GrainIdHash });
        command.Parameters.Add(new NpgsqlParameter("GrainIdN0", NpgsqlDbType.Bigint) { Value = Key.N0 });
        command.Parameters.Add(new NpgsqlParameter("GrainIdN1", NpgsqlDbType.Bigint) { Value = Key.N1 });
        command.Parameters.Add(new NpgsqlParameter("GrainTypeHash", NpgsqlDbType.Integer) { Value = GrainTypeHash });
        command.Parameters.Add(new NpgsqlParameter("GrainTypeString", NpgsqlDbType.Text) { Value = GrainTypeString });
        command.Parameters.Add(new NpgsqlParameter("GrainIdExtensionString", NpgsqlDbType.Text) { Value = (object?)Key.StringKey ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("ServiceId", NpgsqlDbType.Text) { Value = ServiceId });
        command.Parameters.Add(new NpgsqlParameter("GrainStateVersion", NpgsqlDbType.Integer) { Value = (object?)Version ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("PayloadBinary", NpgsqlDbType.Bytea) { Value = Payload });
        return command;
    }
}
