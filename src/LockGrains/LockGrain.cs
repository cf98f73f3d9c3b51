using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace LockService.Grains;

/// <summary>
/// One lock name. Orleans' turn-based execution means one call at a time mutates <see cref="LockState"/>, so the
/// lease rules below need no further synchronisation; durability and fencing are what this class adds.
/// </summary>
/// <remarks>
/// Every state change goes through <see cref="WriteOrFailClosedAsync"/>: it becomes visible only after storage has
/// accepted it. The only call that interleaves is <see cref="Acquire"/> (waiting must not block the lock), and it
/// never writes: grants to waiters happen in ordinary turns (see LockGrain.Waiting.cs).
/// </remarks>
[GrainType("lock")]
public sealed partial class LockGrain : Grain, ILockGrain, IRemindable
{
    // The state is loaded by hand rather than through [PersistentState], so that a name that breaks the rules is
    // refused before it reaches the database (PostgreSQL rejects NUL in text, for one) and a storage error is
    // reported as a LockStorageException that crosses the wire, not as a driver exception that cannot.
    private readonly IGrainStorage _storage;
    private readonly GrainState<LockState> _record = new(new LockState());
    private readonly TimeProvider _clock;
    private readonly LockGrainOptions _options;
    private readonly ILogger<LockGrain> _logger;

    public LockGrain(
        [FromKeyedServices(LockGrainServices.StorageProviderName)] IGrainStorage storage,
        [FromKeyedServices(LockGrainServices.ClockKey)] TimeProvider clock,
        IOptions<LockGrainOptions> options,
        DeferredReleaseWrites deferredReleaseWrites,
        ILogger<LockGrain> logger)
    {
        _deferredReleaseWrites = deferredReleaseWrites;
        _storage = storage;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
    }

    private string Name => this.GetPrimaryKeyString();

    private LockState Current => _record.State!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (IsValidName(Name))
        {
            await LoadAsync();
        }
    }

    public async Task<LockResult> TryAcquire(string owner, TimeSpan ttl)
    {
        ValidateCall(owner, ttl);
        var now = _clock.GetUtcNow();
        var current = Current;

        if (current.IsHeldAt(now))
        {
            if (current.Holder != owner)
            {
                // A refused try never touches storage.
                return Result(LockOutcome.Busy, current);
            }

            return await ExtendAsync(now, ttl);
        }

        if (_waiters.NextListening() is { } next && next.Owner != owner)
        {
            // Free, but others queued first: fairness says the head of the queue gets it, not the caller who tried.
            var handedOver = await GrantToWaiterAsync(next, current, now);
            return Result(LockOutcome.Busy, handedOver);
        }

        var granted = NewGrant(current, owner, ttl, now);
        await WriteOrFailClosedAsync(granted, "grant");
        LogGranted(Name, owner, granted.FencingToken, granted.ExpiresAt!.Value);
        await EnsureReaperAsync(ttl);
        return Result(LockOutcome.Granted, granted);
    }

    public async Task<LockResult> Refresh(string owner, long fencingToken, TimeSpan ttl)
    {
        ValidateCall(owner, ttl);
        var now = _clock.GetUtcNow();
        var current = Current;

        // A lapsed lease is not revived, even if nobody took the lock since: the holder could not prove it held
        // the lock in the gap, so it must acquire again and get a new token.
        if (!current.IsHeldAt(now) || current.Holder != owner || current.FencingToken != fencingToken)
        {
            return Result(LockOutcome.NotHolder, current, now);
        }

        return await ExtendAsync(now, ttl);
    }

    public async Task<LockResult> Release(string owner, long fencingToken)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateOwner(owner);
        var now = _clock.GetUtcNow();
        var current = Current;

        if (current.Holder == owner && current.FencingToken == fencingToken)
        {
            // With nobody waiting the release reaches storage lazily; LockGrain.LazyRelease.cs argues why that is safe.
            var after = CanReleaseLazily ? ReleaseLazily(current) : await EndLeaseAsync(current, now, "release");
            LogReleased(Name, owner, fencingToken);
            return Result(LockOutcome.Released, after);
        }

        if (current.LastHolder == owner && current.FencingToken == fencingToken && current.Holder is null)
        {
            return Result(LockOutcome.AlreadyReleased, current);
        }

        return Result(LockOutcome.NotHolder, current, now);
    }

    public async Task<LockResult> ForceRelease()
    {
        LockArguments.ValidateName(Name);
        var now = _clock.GetUtcNow();
        var current = Current;
        if (current.Holder is null)
        {
            return Result(LockOutcome.AlreadyReleased, current);
        }

        var after = await EndLeaseAsync(current, now, "forced release");
        LogForceReleased(Name, current.Holder, current.FencingToken);
        return Result(LockOutcome.Released, after);
    }

    public Task<LockDescription> Describe()
    {
        LockArguments.ValidateName(Name);
        _waiters.DropDetached(DetachedGrace);
        var now = _clock.GetUtcNow();
        var current = Current;
        var held = current.IsHeldAt(now);
        return Task.FromResult(new LockDescription(
            Name,
            held ? current.Holder : null,
            current.FencingToken,
            held ? current.AcquiredAt : null,
            held ? current.ExpiresAt : null,
            _waiters.Count));
    }

    private async Task<LockResult> ExtendAsync(DateTimeOffset now, TimeSpan ttl)
    {
        var extended = Current.Copy();
        extended.ExpiresAt = now + ttl;
        await WriteOrFailClosedAsync(extended, "refresh");
        await EnsureReaperAsync(ttl);
        return Result(LockOutcome.Renewed, extended);
    }

    /// <summary>
    /// Ends the current lease: hands the lock to the first waiter in the same durable write (so a handoff costs one
    /// write, not two), or leaves it free. The row is kept either way, so the fencing token survives.
    /// </summary>
    private async Task<LockState> EndLeaseAsync(LockState current, DateTimeOffset now, string operation)
    {
        if (_waiters.NextListening() is { } next)
        {
            return await GrantToWaiterAsync(next, current, now);
        }

        var released = current.Copy();
        released.Holder = null;
        released.AcquiredAt = null;
        released.ExpiresAt = null;
        await WriteOrFailClosedAsync(released, operation);
        return released;
    }

    /// <summary>The next grant: the next token (checked: a wrapped token would be reused), a fresh lease.</summary>
    private static LockState NewGrant(LockState current, string owner, TimeSpan ttl, DateTimeOffset now)
    {
        var granted = current.Copy();
        granted.Holder = owner;
        granted.LastHolder = owner;
        granted.FencingToken = checked(current.FencingToken + 1);
        granted.AcquiredAt = now;
        granted.ExpiresAt = now + ttl;
        return granted;
    }

    /// <summary>
    /// Makes <paramref name="next"/> the lock's state only once storage has accepted it. On a conflict (another
    /// activation wrote first: <see cref="InconsistentStateException"/>) or any storage failure, the activation goes
    /// back to what storage holds and the call fails closed, so nothing is ever reported that is not durable.
    /// </summary>
    private async Task WriteOrFailClosedAsync(LockState next, string operation)
    {
        var previous = _record.State;
        _record.State = next;
        try
        {
            await _storage.WriteStateAsync(LockGrainServices.StateName, this.GetGrainId(), _record);
            StorageCaughtUp();
        }
        catch (Exception exception)
        {
            _record.State = previous;
            LogWriteFailed(exception, Name, operation);
            await ReloadOrDeactivateAsync();
            var reason = exception is InconsistentStateException ? "a storage conflict (another activation wrote first)" : "a storage failure";
            throw new LockStorageException(
                $"Lock '{Name}': the {operation} was not made durable because of {reason}: {exception.GetType().Name}: {exception.Message}. " +
                "The call failed closed; nothing was granted or changed by it. Retry with the same owner.");
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            await _storage.ReadStateAsync(LockGrainServices.StateName, this.GetGrainId(), _record);
            _record.State ??= new LockState();
        }
        catch (Exception exception)
        {
            LogLoadFailed(exception, Name);
            throw new LockStorageException(
                $"Lock '{Name}': its state could not be read from storage ({exception.GetType().Name}: {exception.Message}). Nothing was granted; retry later.");
        }
    }

    private async Task ReloadOrDeactivateAsync()
    {
        try
        {
            await _storage.ReadStateAsync(LockGrainServices.StateName, this.GetGrainId(), _record);
            _record.State ??= new LockState();
            StorageCaughtUp();
        }
        catch (Exception exception)
        {
            // Without a fresh read this activation cannot trust its state or ETag: let the next call start over.
            LogReloadFailed(exception, Name);
            DeactivateOnIdle();
        }
    }

    private static bool IsValidName(string name)
    {
        try
        {
            LockArguments.ValidateName(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private void ValidateCall(string owner, TimeSpan ttl)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateOwner(owner);
        LockArguments.ValidateTtl(ttl, _options.MaxLeaseDuration);
    }

    private LockResult Result(LockOutcome outcome, LockState state) =>
        new(outcome, Name, state.Holder, state.FencingToken, state.AcquiredAt, state.ExpiresAt);

    // For refusals: report the valid holder, not a stale one whose lease has run out.
    private LockResult Result(LockOutcome outcome, LockState state, DateTimeOffset now) =>
        state.IsHeldAt(now) ? Result(outcome, state) : new(outcome, Name, null, state.FencingToken, null, null);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}' granted to '{Owner}' with fencing token {FencingToken} until {ExpiresAt:o}.")]
    private partial void LogGranted(string lockName, string owner, long fencingToken, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}' released by '{Owner}' (fencing token {FencingToken}).")]
    private partial void LogReleased(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': lease of '{Owner}' (fencing token {FencingToken}) ended by a forced release.")]
    private partial void LogForceReleased(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the {Operation} could not be written; the call fails closed.")]
    private partial void LogWriteFailed(Exception exception, string lockName, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': state could not be loaded from storage.")]
    private partial void LogLoadFailed(Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': state could not be reloaded after a failed write; deactivating.")]
    private partial void LogReloadFailed(Exception exception, string lockName);
}
