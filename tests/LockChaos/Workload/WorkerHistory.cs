using LockService.Chaos.History;

namespace LockService.Chaos.Workload;

/// <summary>
/// What one workload worker records: each operation's invocation and outcome under a per-worker id, with the shared
/// monotonic clock, and the writes it makes to the protected resources while it believes it holds a lock.
/// </summary>
public sealed class WorkerHistory(string client, HistoryFile history, ProtectedResources resources)
{
    private long _ids;

    /// <summary>The worker's name in the history (<c>c3-0</c>: process <c>c3</c>, worker 0).</summary>
    public string Client => client;

    /// <summary>Writes one event of an operation (a new operation id for its invoke) and returns the operation's id.</summary>
    public long Record(string op, string phase, string lockName, string owner, long? token, string? detail = null, TimeSpan? ttl = null, long? id = null, string? api = null)
    {
        var operation = id ?? Interlocked.Increment(ref _ids);
        history.Write(new HistoryEvent { Client = client, Id = operation, Op = op, Phase = phase, Lock = lockName, Owner = owner, Token = token, TtlMs = ttl?.TotalMilliseconds, T = HistoryFile.Now(), Detail = detail, Api = api });
        return operation;
    }

    /// <summary>
    /// One step of work under the lock: a write to the fenced resource (recorded with its outcome, accepted or refused
    /// as stale) and a read-pause-write of the unfenced counter.
    /// </summary>
    public async Task WriteProtectedAsync(string lockName, string owner, long token)
    {
        await ResourceAsync(HistoryEvent.Ops.FencedWrite, lockName, owner, token, async () => await resources.FencedWriteAsync(lockName, token, client) ? null : "stale");
        await ResourceAsync(HistoryEvent.Ops.Counter, lockName, owner, token, async () => { await resources.IncrementUnfencedAsync(lockName); return null; });
    }

    private async Task ResourceAsync(string op, string lockName, string owner, long token, Func<Task<string?>> write)
    {
        var id = Record(op, HistoryEvent.Phases.Invoke, lockName, owner, token);
        try
        {
            var refused = await write();
            Record(op, refused is null ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail, lockName, owner, token, refused, id: id);
        }
        catch (Exception exception)
        {
            Record(op, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: id);
        }
    }
}
