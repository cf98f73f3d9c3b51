using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace LockService.Leases;

/// <summary>
/// The stored record of one lease primitive (a lock, a semaphore) as its activation sees it, and the only way to
/// change it: a fail-closed, copy-and-swap write. The next state is written as a copy (with the current ETag) and
/// becomes <see cref="State"/> only once storage has accepted it, so no call, interleaving or not, ever sees a state
/// storage has not accepted. On a conflict (another activation wrote first: <see cref="InconsistentStateException"/>)
/// or any storage failure, the record goes back to what storage holds and the write throws
/// <see cref="LockStorageException"/>: the call fails closed.
/// </summary>
/// <remarks>
/// <para>Grain turns do not interleave, so only one write is ever in flight; a call that does interleave (a waiting
/// acquire) awaits <see cref="WhenWritesSettledAsync"/> before it reads, so it answers with storage's verdict.</para>
/// <para>A grain can hook in with delegates (<see cref="CaughtUp"/>, <see cref="Lost"/>, a read function) or, to keep
/// a held activation small, with a subclass that overrides <see cref="ReadStoredAsync"/>, <see cref="OnCaughtUp"/> and
/// <see cref="OnLost"/>: one object per activation instead of a delegate per hook.</para>
/// </remarks>
internal partial class DurableRecord<TState>
    where TState : class, new()
{
    private readonly IGrainStorage _storage;
    private readonly string _stateName;
    private readonly GrainId _storageId;
    private readonly Func<Task<GrainState<TState>>>? _read;
    private readonly DurableRecordSubject _subject;
    private readonly ILogger _logger;

    // What storage holds, with its ETag. Replaced as a whole, never changed in place while a write is in flight.
    private GrainState<TState> _record = new(new TState());

    // Completes when the write in flight has its answer and the record has settled on it (written or reloaded);
    // null while no write is in flight.
    private Task? _writeSettling;

    /// <summary>A record read with the storage's plain read.</summary>
    public DurableRecord(IGrainStorage storage, string stateName, GrainId storageId, DurableRecordSubject subject, ILogger logger)
        : this(storage, stateName, storageId, subject, logger, read: null)
    {
    }

    /// <summary>A record read by <paramref name="read"/> (for a record that may have to be carried over from elsewhere).</summary>
    public DurableRecord(IGrainStorage storage, string stateName, GrainId storageId, DurableRecordSubject subject, ILogger logger, Func<Task<GrainState<TState>>>? read)
    {
        _storage = storage;
        _stateName = stateName;
        _storageId = storageId;
        _subject = subject;
        _logger = logger;
        _read = read;
    }

    /// <summary>How this record's errors name it (also for the grain's other helpers, e.g. its reaper reminder).</summary>
    public DurableRecordSubject Subject => _subject;

    /// <summary>The state storage has accepted (or, after <see cref="SetAheadOfStorage"/>, will be sent with the next write).</summary>
    public TState State => _record.State!;

    /// <summary>Whether a write is in flight (its answer not yet in); an interleaving call may see this.</summary>
    public bool IsWriting => _writeSettling is not null;

    /// <summary>Called after every write attempt once the record agrees with storage again (written, or reloaded).</summary>
    public Action? CaughtUp { get; init; }

    /// <summary>Called when a failed write could not even reload the record: the activation should start over.</summary>
    public Action? Lost { get; init; }

    /// <summary>Reads the record; a storage error becomes a <see cref="LockStorageException"/> (nothing was granted).</summary>
    public async Task LoadAsync()
    {
        try
        {
            _record = await ReadStoredAsync();
            LogLoaded(_subject.Name, _record.ETag);
        }
        catch (Exception exception)
        {
            LogLoadFailed(exception, _subject.Name);
            throw new LockStorageException(
                $"{_subject.Name}: its state could not be read from storage ({exception.GetType().Name}: {exception.Message}). Nothing was granted; retry later.");
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the state once storage has accepted it; on failure reloads and throws
    /// <see cref="LockStorageException"/> naming <paramref name="operation"/>.
    /// </summary>
    public async Task WriteAsync(TState next, string operation)
    {
        var written = new GrainState<TState>(next) { ETag = _record.ETag, RecordExists = _record.RecordExists };
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writeSettling = settled.Task;
        try
        {
            await _storage.WriteStateAsync(_stateName, _storageId, written);
            _record = written;
            LogWritten(_subject.Name, operation, written.ETag);
            OnCaughtUp();
        }
        catch (Exception exception)
        {
            LogWriteFailed(exception, _subject.Name, operation);
            await ReloadOrGiveUpAsync();
            var reason = exception is InconsistentStateException ? "a storage conflict (another activation wrote first)" : "a storage failure";
            throw new LockStorageException(
                $"{_subject.Name}: the {operation} was not made durable because of {reason}: {exception.GetType().Name}: {exception.Message}. " +
                $"The call failed closed; nothing was granted or changed by it. {_subject.RetryHint}");
        }
        finally
        {
            _writeSettling = null;
            settled.SetResult();
        }
    }

    /// <summary>
    /// Replaces the state in memory without writing it: memory is then ahead of storage until the next write (which
    /// carries it). Only for changes storage may safely lag behind (a lock's lazy release).
    /// </summary>
    public void SetAheadOfStorage(TState state) => _record.State = state;

    /// <summary>Waits until no write is in flight, so the state read next is storage's verdict (for interleaving calls).</summary>
    public async Task WhenWritesSettledAsync()
    {
        while (_writeSettling is { } settling)
        {
            await settling;
        }
    }

    /// <summary>The stored record under <paramref name="storageId"/>, or an empty one with <c>RecordExists</c> false.</summary>
    public async Task<GrainState<TState>> ReadAsync(GrainId storageId)
    {
        var stored = new GrainState<TState>(new TState());
        await _storage.ReadStateAsync(_stateName, storageId, stored);
        stored.State ??= new TState();
        return stored;
    }

    private async Task ReloadOrGiveUpAsync()
    {
        try
        {
            _record = await ReadStoredAsync();
            LogReloaded(_subject.Name, _record.ETag);
            OnCaughtUp();
        }
        catch (Exception exception)
        {
            // Without a fresh read this activation cannot trust its state or ETag: let the next call start over.
            LogReloadFailed(exception, _subject.Name);
            OnLost();
        }
    }

    /// <summary>
    /// Reads what storage holds for this record: the read function given at construction, or the plain read under the
    /// record's storage id. A subclass may read otherwise (a record carried over from an older key).
    /// </summary>
    protected virtual Task<GrainState<TState>> ReadStoredAsync() => _read is { } read ? read() : ReadAsync(_storageId);

    /// <summary>After every write attempt once the record agrees with storage again; runs <see cref="CaughtUp"/> unless overridden.</summary>
    protected virtual void OnCaughtUp() => CaughtUp?.Invoke();

    /// <summary>When a failed write could not even reload the record; runs <see cref="Lost"/> unless overridden.</summary>
    protected virtual void OnLost() => Lost?.Invoke();

    // The stored version (the ETag) in the Debug lines tells, next to the history of a chaos run, which write of which
    // activation each answer rests on.
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: state loaded from storage (version {ETag}).")]
    private partial void LogLoaded(string subject, string? etag);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: the {Operation} was written (version {ETag}).")]
    private partial void LogWritten(string subject, string operation, string? etag);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Subject}: state reloaded from storage after a failed write (version {ETag}).")]
    private partial void LogReloaded(string subject, string? etag);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: the {Operation} could not be written; the call fails closed.")]
    private partial void LogWriteFailed(Exception exception, string subject, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: state could not be loaded from storage.")]
    private partial void LogLoadFailed(Exception exception, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: state could not be reloaded after a failed write; deactivating.")]
    private partial void LogReloadFailed(Exception exception, string subject);
}
