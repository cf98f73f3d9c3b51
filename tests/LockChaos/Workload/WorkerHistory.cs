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
    /// <param name="max">A semaphore's limit, on its acquire invokes.</param>
    /// <param name="slot">A semaphore lease's slot, once known.</param>
    public long Record(string op, string phase, string lockName, string owner, long? token, string? detail = null, TimeSpan? ttl = null, long? id = null, string? api = null, int? max = null, int? slot = null)
    {
        var operation = id ?? Interlocked.Increment(ref _ids);
        history.Write(new HistoryEvent { Client = client, Id = operation, Op = op, Phase = phase, Lock = lockName, Owner = owner, Token = token, TtlMs = ttl?.TotalMilliseconds, T = HistoryFile.Now(), Detail = detail, Api = api, Max = max, Slot = slot });
        return operation;
    }

    /// <summary>
    /// One recorded grain call: its invoke, then ok or fail as <paramref name="succeeded"/> judges the answer (with the
    /// token, slot and detail <paramref name="answer"/> takes from it), or unknown when it threw (a time-out or a
    /// failing silo may hide an effect).
    /// </summary>
    public async Task<(string Outcome, T? Result)> CallAsync<T>(
        string op, string lockName, string owner, long? token, TimeSpan? ttl, Func<Task<T>> call, Func<T, bool> succeeded,
        Func<T, (long? Token, int? Slot, string Detail)> answer, int? max = null, int? slot = null)
        where T : class
    {
        var id = Record(op, HistoryEvent.Phases.Invoke, lockName, owner, token, ttl: ttl, max: max, slot: slot);
        try
        {
            var result = await call();
            var outcome = succeeded(result) ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail;
            var (recordedToken, recordedSlot, detail) = answer(result);
            Record(op, outcome, lockName, owner, recordedToken, detail, id: id, slot: recordedSlot);
            return (outcome, result);
        }
        catch (Exception exception) when (exception is not ArgumentException)
        {
            Record(op, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: id, slot: slot);
            return (HistoryEvent.Phases.Unknown, null);
        }
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

    /// <summary>
    /// One step of work under a semaphore lease: a write to its slot's own fenced resource (a semaphore's holders
    /// write concurrently, so one "highest token wins" for all would refuse legitimate holders). No unfenced counter:
    /// concurrent holders are allowed, so a lost update would show nothing.
    /// </summary>
    public Task WriteSlotAsync(string semaphoreName, string owner, long token, int slot) =>
        ResourceAsync(HistoryEvent.Ops.FencedWrite, semaphoreName, owner, token, async () => await resources.FencedWriteAsync(ProtectedResources.SlotResource(semaphoreName, slot), token, client) ? null : "stale", slot);

    private async Task ResourceAsync(string op, string lockName, string owner, long token, Func<Task<string?>> write, int? slot = null)
    {
        var id = Record(op, HistoryEvent.Phases.Invoke, lockName, owner, token, slot: slot);
        try
        {
            var refused = await write();
            Record(op, refused is null ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail, lockName, owner, token, refused, id: id, slot: slot);
        }
        catch (Exception exception)
        {
            Record(op, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: id, slot: slot);
        }
    }
}
