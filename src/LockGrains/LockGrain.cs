using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace LockService.Grains;

/// <summary>
/// One lock name. Orleans' turn-based execution means one call at a time mutates <see cref="LockState"/>, so the
/// lease rules below need no further synchronisation; durability and fencing are what this class adds.
/// </summary>
[GrainType("lock")]
public sealed partial class LockGrain : Grain, ILockGrain, IRemindable
{
    internal const string ReaperReminderName = "lease-reaper";

    // The state is loaded by hand rather than through [PersistentState], so that a name that breaks the rules is
    // refused before it reaches the database (PostgreSQL rejects NUL in text, for one) and a storage error is
    // reported as a LockStorageException that crosses the wire, not as a driver exception that cannot.
    private readonly IGrainStorage _storage;
    private readonly GrainState<LockState> _record = new(new LockState());
    private readonly TimeProvider _clock;
    private readonly LockGrainOptions _options;
    private readonly ILogger<LockGrain> _logger;

    // Whether this activation knows the housekeeping reminder to be registered. A fresh activation does not know,
    // so its first grant registers once more (one write per activation, not per call); the tick, which only
    // fires while a reminder exists, sets it and unregisters lazily once the lock is free.
    private bool _reaperRegistered;

    public LockGrain(
        [FromKeyedServices(LockGrainServices.StorageProviderName)] IGrainStorage storage,
        [FromKeyedServices(LockGrainServices.ClockKey)] TimeProvider clock,
        IOptions<LockGrainOptions> options,
        ILogger<LockGrain> logger)
    {
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

        // Free, or the lease expired: a new grant with the next token. checked(): a wrapped token would be reused.
        var granted = current.Copy();
        granted.Holder = owner;
        granted.LastHolder = owner;
        granted.FencingToken = checked(current.FencingToken + 1);
        granted.AcquiredAt = now;
        granted.ExpiresAt = now + ttl;
        await WriteOrFailClosedAsync(granted, "grant");
        LogGranted(Name, owner, granted.FencingToken, granted.ExpiresAt.Value);

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
            var released = current.Copy();
            released.Holder = null;
            released.AcquiredAt = null;
            released.ExpiresAt = null;
            await WriteOrFailClosedAsync(released, "release");
            LogReleased(Name, owner, fencingToken);
            return Result(LockOutcome.Released, released);
        }

        if (current.Holder is null && current.LastHolder == owner && current.FencingToken == fencingToken)
        {
            return Result(LockOutcome.AlreadyReleased, current);
        }

        return Result(LockOutcome.NotHolder, current, now);
    }

    public Task<LockDescription> Describe()
    {
        LockArguments.ValidateName(Name);
        var now = _clock.GetUtcNow();
        var current = Current;
        var held = current.IsHeldAt(now);
        return Task.FromResult(new LockDescription(
            Name,
            held ? current.Holder : null,
            current.FencingToken,
            held ? current.AcquiredAt : null,
            held ? current.ExpiresAt : null,
            WaitingCount: 0));
    }

    /// <summary>
    /// Housekeeping only: clears an expired lease durably so the stored state tells the truth even if nobody calls
    /// again. Every call already treats an expired lease as free, so a late or missed tick is harmless.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminderName)
        {
            return;
        }

        _reaperRegistered = true;
        var now = _clock.GetUtcNow();
        var current = Current;
        if (current.IsHeldAt(now))
        {
            return;
        }

        if (current.IsExpiredAt(now))
        {
            var reaped = current.Copy();
            reaped.Holder = null;
            reaped.AcquiredAt = null;
            reaped.ExpiresAt = null;
            try
            {
                await WriteOrFailClosedAsync(reaped, "reap");
                LogReaped(Name, current.Holder!, current.FencingToken);
            }
            catch (LockStorageException)
            {
                return; // Logged already; the next tick tries again.
            }
        }

        await UnregisterReaperAsync();
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
        }
        catch (Exception exception)
        {
            // Without a fresh read this activation cannot trust its state or ETag: let the next call start over.
            LogReloadFailed(exception, Name);
            DeactivateOnIdle();
        }
    }

    private async Task EnsureReaperAsync(TimeSpan ttl)
    {
        if (_reaperRegistered)
        {
            return;
        }

        try
        {
            // First tick just after this lease would end; the period is the floor Orleans allows.
            await this.RegisterOrUpdateReminder(ReaperReminderName, ttl + TimeSpan.FromSeconds(1), _options.ReaperPeriod);
            _reaperRegistered = true;
        }
        catch (Exception exception)
        {
            // The grant is already durable and expiry is checked on every call, so only housekeeping is delayed.
            LogReaperRegistrationFailed(exception, Name);
        }
    }

    private async Task UnregisterReaperAsync()
    {
        try
        {
            var reminder = await this.GetReminder(ReaperReminderName);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reaperRegistered = false;
        }
        catch (Exception exception)
        {
            LogReaperUnregistrationFailed(exception, Name);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock '{LockName}': expired lease of '{Owner}' (fencing token {FencingToken}) reaped.")]
    private partial void LogReaped(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the {Operation} could not be written; the call fails closed.")]
    private partial void LogWriteFailed(Exception exception, string lockName, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': state could not be loaded from storage.")]
    private partial void LogLoadFailed(Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': state could not be reloaded after a failed write; deactivating.")]
    private partial void LogReloadFailed(Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the expiry reminder could not be registered; expired leases are still refused on every call.")]
    private partial void LogReaperRegistrationFailed(Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the expiry reminder could not be unregistered; the next tick tries again.")]
    private partial void LogReaperUnregistrationFailed(Exception exception, string lockName);
}
