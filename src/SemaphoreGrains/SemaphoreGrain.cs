using LockService.Grains;
using LockService.Leases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace LockService.Semaphores;

/// <summary>
/// One counting semaphore name. Orleans' turn-based execution means one call at a time changes the state, so the
/// rules below need no further synchronisation; every change goes through the lease core's
/// <see cref="DurableRecord{TState}"/>, so it is visible only once storage has accepted it, and fails closed otherwise.
/// </summary>
/// <remarks>
/// The only call that interleaves is <see cref="Acquire"/> (waiting must not block the semaphore): it never writes
/// (grants to waiters happen in ordinary turns, see SemaphoreGrain.Waiting.cs), and it waits for a write in flight
/// before it reads the state. Every change that frees slots (a release, an expiry, a raised limit) grants the waiters
/// that now fit in the same write.
/// </remarks>
[GrainType("semaphore")]
public sealed partial class SemaphoreGrain : Grain, ISemaphoreGrain, IRemindable
{
    private readonly IGrainStorage _storage;
    // The lock clock, for building _leaseClock only: every lease decision reads the time from _leaseClock.
    private readonly TimeProvider _clock;
    private readonly LockGrainOptions _options;
    private readonly ILogger<SemaphoreGrain> _logger;
    private DurableRecord<SemaphoreState> _record = null!;
    // The time leases are judged and stamped by: the lock clock, held back while a lease runs across a forward step
    // of the system clock (LeaseClock says why). Made in OnActivateAsync, with the record it consults.
    private LeaseClock _leaseClock = null!;

    public SemaphoreGrain(
        [FromKeyedServices(LockGrainServices.StorageProviderName)] IGrainStorage storage,
        [FromKeyedServices(LockGrainServices.ClockKey)] TimeProvider clock,
        IOptions<LockGrainOptions> options,
        ILogger<SemaphoreGrain> logger)
    {
        _storage = storage;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
    }

    private string Name => this.GetPrimaryKeyString();

    private SemaphoreState Current => _record.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _record = new DurableRecord<SemaphoreState>(
            _storage,
            SemaphoreStorage.StateName,
            SemaphoreStorage.KeyFor(Name),
            new DurableRecordSubject("Semaphore", this.GetGrainId(), "Retry with the same lease id."),
            _logger)
        {
            Lost = DeactivateOnIdle,
        };
        _leaseClock = new LeaseClock(_clock, at => !_record.IsWriting && Current.HolderCountAt(at) == 0, _record.Subject, _logger);

        // A name that breaks the rules is refused by every call before it reaches the database.
        if (IsValidName(Name))
        {
            await _record.LoadAsync();
        }
    }

    public async Task<SemaphoreResult> TryAcquire(string owner, string leaseId, int maxCount, TimeSpan ttl)
    {
        ValidateCall(owner, leaseId, ttl);
        ValidateMaxCount(maxCount);
        var now = _leaseClock.Now();
        var current = Current;
        EnsureSameLimit(current, maxCount);
        var hash = LeaseIdHash.Of(leaseId);

        if (current.FindValid(hash, now) is { } held)
        {
            // The same lease asking again (a retry after a lost answer): the same slot and token, extended.
            return await ExtendAsync(held, now, ttl);
        }

        if (_waiters.NextListening() is { } next && next.Key != hash)
        {
            // Others queued first: a try never jumps the queue. If a slot is free, the queue check hands it on now;
            // if none is, the check is already due when the next lease ends, and a refused try costs no turn more.
            if (HasFreeSlot(current, now))
            {
                ScheduleQueueCheck(TimeSpan.Zero);
            }

            return Result(LockOutcome.Busy, null, current, now);
        }

        if (current.HolderCountAt(now) >= LimitFor(current, maxCount))
        {
            // A refused try never touches storage.
            return Result(LockOutcome.Busy, null, current, now);
        }

        var granted = current.Copy();
        granted.DropExpired(now);
        granted.MaxCount = LimitFor(current, maxCount);
        var lease = granted.Grant(hash, owner, ttl, now);
        await _record.WriteAsync(granted, "grant");
        LogGranted(Name, owner, lease.Slot, lease.FencingToken, lease.ExpiresAt);
        var result = Result(LockOutcome.Granted, lease, granted, now);
        if (_waiters.TryGet(hash, out var ownWait))
        {
            // The caller also waits in the queue (at its head, or detached): the try served it, so its place goes,
            // and its open wait calls get the same grant.
            _waiters.Remove(ownWait);
            ownWait.Outcome.TrySetResult(result);
        }

        await EnsureReaperAsync(ttl);
        return result;
    }

    public async Task<SemaphoreResult> Refresh(string leaseId, TimeSpan ttl)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        LockArguments.ValidateTtl(ttl, _options.MaxLeaseDuration);
        var now = _leaseClock.Now();
        var current = Current;

        // A lapsed lease is not revived, even if its slot is still free: the holder could not prove it held it in
        // the gap, so it must acquire again and get a new token.
        if (current.FindValid(LeaseIdHash.Of(leaseId), now) is not { } held)
        {
            return Result(LockOutcome.NotHolder, null, current, now);
        }

        return await ExtendAsync(held, now, ttl);
    }

    public async Task<SemaphoreResult> Release(string leaseId)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        var now = _leaseClock.Now();
        var current = Current;
        if (current.Find(LeaseIdHash.Of(leaseId)) is not { } lease)
        {
            return Result(LockOutcome.AlreadyReleased, null, current, now);
        }

        var after = await EndLeasesAsync(current, [lease], now, "release");
        LogReleased(Name, lease.Owner, lease.Slot, lease.FencingToken);
        return Result(LockOutcome.Released, null, after, now);
    }

    public async Task<int> ForceRelease(int? slot)
    {
        ValidateName();
        if (slot is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Invalid slot: a semaphore's slots are numbered from 0 (was {slot}).");
        }

        var now = _leaseClock.Now();
        var current = Current;
        var ended = current.HoldersAt(now).Where(lease => slot is null || lease.Slot == slot).ToList();
        if (ended.Count == 0)
        {
            return 0;
        }

        await EndLeasesAsync(current, ended, now, "forced release");
        foreach (var lease in ended)
        {
            LogForceReleased(Name, lease.Owner, lease.Slot, lease.FencingToken);
        }

        return ended.Count;
    }

    public async Task<SemaphoreDescription> SetLimit(int maxCount)
    {
        ValidateName();
        ValidateMaxCount(maxCount);
        var now = _leaseClock.Now();
        var current = Current;
        if (current.MaxCount != maxCount)
        {
            // Raised: the waiters that now fit are granted in this same write. Lowered: nobody is revoked; new
            // grants wait until fewer than the new limit hold.
            var next = current.Copy();
            next.MaxCount = maxCount;
            await GrantWaitersAsync(next, now, "limit change");
            LogLimitSet(Name, current.MaxCount, maxCount);
        }

        return Describe(now);
    }

    public Task<SemaphoreDescription> Describe()
    {
        ValidateName();
        _waiters.DropDetached(DetachedGrace);
        return Task.FromResult(Describe(_leaseClock.Now()));
    }

    private SemaphoreDescription Describe(DateTimeOffset now)
    {
        var current = Current;
        var holders = current.HoldersAt(now)
            .Select(lease => new SemaphoreHolder(lease.Owner, lease.Slot, lease.FencingToken, lease.AcquiredAt, lease.ExpiresAt))
            .ToList();
        return new SemaphoreDescription(Name, current.MaxCount, current.FencingToken, holders, _waiters.Count);
    }

    private async Task<SemaphoreResult> ExtendAsync(SemaphoreLease held, DateTimeOffset now, TimeSpan ttl)
    {
        var extended = Current.Copy();
        var renewed = held with { ExpiresAt = now + ttl };
        extended.Replace(held, renewed);
        await _record.WriteAsync(extended, "refresh");
        await EnsureReaperAsync(ttl);
        return Result(LockOutcome.Renewed, renewed, extended, now);
    }

    /// <summary>
    /// Ends <paramref name="ended"/> and grants the waiters that now fit, in one durable write (a handoff costs one
    /// write, not two). The row is kept, so the fencing token survives.
    /// </summary>
    private Task<SemaphoreState> EndLeasesAsync(SemaphoreState current, IReadOnlyCollection<SemaphoreLease> ended, DateTimeOffset now, string operation)
    {
        var next = current.Copy();
        next.Leases.RemoveAll(ended.Contains);
        return GrantWaitersAsync(next, now, operation);
    }

    /// <summary>The limit a grant is judged by: the stored one, or the one this first grant (or first waiter) brings.</summary>
    private int LimitFor(SemaphoreState current, int requested) =>
        current.MaxCount != 0 ? current.MaxCount : _waiters.Count > 0 && _queuedLimit is { } queued ? queued : requested;

    /// <summary>Every client of one semaphore must use the same limit; another one changes nothing and is refused.</summary>
    private void EnsureSameLimit(SemaphoreState current, int requested)
    {
        var limit = LimitFor(current, requested);
        if (limit != requested)
        {
            throw new SemaphoreLimitMismatchException(Name, limit, requested);
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

    private void ValidateName() => LockArguments.ValidateName(Name);

    private void ValidateCall(string owner, string leaseId, TimeSpan ttl)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateOwner(owner);
        LeaseIds.Validate(leaseId);
        LockArguments.ValidateTtl(ttl, _options.MaxLeaseDuration);
    }

    private void ValidateMaxCount(int maxCount) => SemaphoreArguments.ValidateMaxCount(maxCount, _options.MaxSemaphoreCount);

    private SemaphoreResult Result(LockOutcome outcome, SemaphoreLease? lease, SemaphoreState state, DateTimeOffset now) =>
        new(outcome, Name, lease?.Slot, lease?.FencingToken ?? state.FencingToken, lease?.AcquiredAt, lease?.ExpiresAt, state.MaxCount, state.HolderCountAt(now));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Semaphore '{SemaphoreName}': slot {Slot} granted to '{Owner}' with fencing token {FencingToken} until {ExpiresAt:o}.")]
    private partial void LogGranted(string semaphoreName, string owner, int slot, long fencingToken, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Semaphore '{SemaphoreName}': slot {Slot} released by '{Owner}' (fencing token {FencingToken}).")]
    private partial void LogReleased(string semaphoreName, string owner, int slot, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Semaphore '{SemaphoreName}': lease of '{Owner}' in slot {Slot} (fencing token {FencingToken}) ended by a forced release.")]
    private partial void LogForceReleased(string semaphoreName, string owner, int slot, long fencingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Semaphore '{SemaphoreName}': limit changed from {OldLimit} to {NewLimit}.")]
    private partial void LogLimitSet(string semaphoreName, int oldLimit, int newLimit);
}
