using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LockService.Storage;

/// <summary>
/// Sends the grain state writes that are ready at the same moment to PostgreSQL together: one <see cref="NpgsqlBatch"/>,
/// so one round trip, one implicit transaction and one commit (one WAL flush) for many grains.
/// </summary>
/// <remarks>
/// <para>
/// Each statement keeps its own version check and its own result, so a version conflict (a NULL result) fails only
/// its own grain. The batch is one transaction: an error anywhere in it (a server error, a timeout, a lost connection)
/// rolls all of it back, and every write in it fails closed with that error, nothing half-written. Results are handed
/// out only after the whole batch has committed (the reader has consumed the server's final ReadyForQuery), never per
/// statement as they arrive.
/// </para>
/// <para>
/// No waiting for company: a write that finds fewer than <see cref="BatchedGrainStorageOptions.MaxBatchesInFlight"/>
/// commits in flight leaves at once. Writes that arrive while that many are in flight queue, and the first commit to
/// come back takes up to <see cref="BatchedGrainStorageOptions.MaxBatchSize"/> of them with it on its next trip.
/// </para>
/// </remarks>
internal sealed partial class GroupCommitter(NpgsqlDataSource dataSource, BatchedGrainStorageOptions options, GroupCommitStatistics statistics, ILogger logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _gate = new();
    private readonly Queue<StorageWrite> _waiting = new();

    // Rows with a write queued or in flight. A grain's turns never overlap its own writes (DurableRecord writes once
    // at a time), so a second write of a row while the first is pending is a caller's bug; refused, it cannot land in
    // the same commit as the first, or race it in another.
    private readonly HashSet<(string StateName, GrainId GrainId)> _pendingRows = [];
    private int _batchesInFlight;

    /// <summary>
    /// Queues <paramref name="write"/> for the next shared commit and returns its own result (see
    /// <see cref="StorageWrite.Result"/>); fails with the batch's error if its commit failed.
    /// </summary>
    /// <exception cref="InvalidOperationException">A write of the same row is already queued or in flight.</exception>
    public Task<string?> WriteAsync(StorageWrite write)
    {
        List<StorageWrite>? batch = null;
        lock (_gate)
        {
            if (!_pendingRows.Add(write.Row))
            {
                throw new InvalidOperationException(
                    $"A second write of grain state '{write.Row.StateName}' of {write.Row.GrainId} was started before the first one finished. " +
                    "Each grain must await a state write before it starts the next (two writes of one grain never share or race a commit).");
            }

            _waiting.Enqueue(write);
            if (_batchesInFlight < options.MaxBatchesInFlight)
            {
                _batchesInFlight++;
                batch = TakeBatch();
            }
            else
            {
                statistics.QueuedChanged(_waiting.Count);
            }
        }

        if (batch is not null)
        {
            _ = SendBatchesAsync(batch);
        }

        return write.Result;
    }

    // One sender per batch in flight: after its commit it takes whatever queued meanwhile, until the queue is empty.
    private async Task SendBatchesAsync(List<StorageWrite> batch)
    {
        while (true)
        {
            var outcome = await CommitAsync(batch).ConfigureAwait(false);
            List<StorageWrite>? next = null;
            lock (_gate)
            {
                foreach (var write in batch)
                {
                    _pendingRows.Remove(write.Row);
                }

                if (_waiting.Count > 0)
                {
                    next = TakeBatch();
                }
                else
                {
                    _batchesInFlight--;
                }
            }

            // Out of the lock: the writers' continuations are asynchronous, but nothing else should wait on them.
            outcome.Deliver(batch);
            if (next is null)
            {
                return;
            }

            batch = next;
        }
    }

    // Under _gate.
    private List<StorageWrite> TakeBatch()
    {
        var batch = new List<StorageWrite>(Math.Min(_waiting.Count, options.MaxBatchSize));
        while (batch.Count < options.MaxBatchSize && _waiting.TryDequeue(out var write))
        {
            batch.Add(write);
        }

        statistics.QueuedChanged(_waiting.Count);
        batch.Sort(StorageWrite.LockOrder);
        return batch;
    }

    /// <summary>Sends <paramref name="batch"/> as one transaction; never throws (a failure is the outcome of every write).</summary>
    private async Task<CommitOutcome> CommitAsync(List<StorageWrite> batch)
    {
        try
        {
            var versions = new string?[batch.Count];
            await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var command = new NpgsqlBatch(connection);
            foreach (var write in batch)
            {
                command.BatchCommands.Add(write.ToBatchCommand());
            }

            await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
            {
                for (var index = 0; index < batch.Count; index++)
                {
                    if (index > 0 && !await reader.NextResultAsync().ConfigureAwait(false))
                    {
                        throw new InvalidOperationException($"The shared commit returned {index} results for {batch.Count} statements.");
                    }

                    versions[index] = await ReadNewVersionAsync(reader).ConfigureAwait(false);
                }

                // Reads on to the server's ReadyForQuery: an error of the commit itself surfaces here, before any
                // write is reported as done.
                while (await reader.NextResultAsync().ConfigureAwait(false))
                {
                }
            }

            statistics.Sent(batch.Count, failed: false);
            return new CommitOutcome(versions, Failure: null);
        }
        catch (Exception exception)
        {
            statistics.Sent(batch.Count, failed: true);
            LogCommitFailed(exception, batch.Count);
            return new CommitOutcome(Versions: null, exception);
        }
    }

    // As the stock provider reads WriteToStorageKey: NewGrainStateVersion of the single row, "" for NULL, null for no row.
    private static async Task<string?> ReadNewVersionAsync(NpgsqlDataReader reader)
    {
        string? version = null;
        var rows = 0;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            rows++;
            var ordinal = reader.GetOrdinal("NewGrainStateVersion");
            version = reader.IsDBNull(ordinal) ? string.Empty : reader.GetInt32(ordinal).ToString(CultureInfo.InvariantCulture);
        }

        // The write query returns exactly one row. Were it to return several, the stock provider's SingleOrDefault would
        // throw; here that write fails closed as a conflict (its grain reloads), and the others are unaffected.
        return rows <= 1 ? version : string.Empty;
    }

    private readonly record struct CommitOutcome(string?[]? Versions, Exception? Failure)
    {
        public void Deliver(List<StorageWrite> batch)
        {
            for (var index = 0; index < batch.Count; index++)
            {
                if (Failure is not null)
                {
                    batch[index].Fail(Failure);
                }
                else
                {
                    batch[index].Succeed(Versions![index]);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A shared commit of {Count} grain state writes failed; every write in it fails closed.")]
    private partial void LogCommitFailed(Exception exception, int count);
}
