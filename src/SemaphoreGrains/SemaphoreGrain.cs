using LockService.Grains;
using LockService.Leases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace LockService.Semaphores;

/// <summary>
/// One counting semaphore name. Every change goes through the lease core's <see cref="CoalescingWriter{TState}"/> over
/// its <see cref="DurableRecord{TState}"/>: it is decided on the next state inside the write that carries it, visible
/// only once storage has accepted that write, and fails closed otherwise.
/// </summary>
/// <remarks>
/// Two calls interleave. <see cref="Acquire"/> waits without blocking the semaphore and never writes (grants to waiters
/// are made inside the changes that free slots, see SemaphoreGrain.Waiting.cs). <see cref="Release"/> interleaves so that
/// releases arriving while a write is in flight join the next write instead of queuing for one write each: under load
/// (many holders, waiters queued) several handoffs share one durable write, and every grant in it is still durable
/// before its waiter hears of it. Because a release may be in flight during any turn, no call decides on
/// <see cref="Current"/> and then writes: each change reads the next state it is given, in arrival order.
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
    // The only writer of _record: changes that arrive while a write is in flight go together in the next one.
    private CoalescingWriter<SemaphoreState> _writer = null!;
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
        _writer = new CoalescingWriter<SemaphoreState>(_record, state => state.Copy(), _leaseClock.Now);

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
        var hash = LeaseIdHash.Of(leaseId);
        var ((outcome, lease), at) = await ChangeAsync<(LockOutcome Outcome, SemaphoreLease? Lease)>((next, now, grants) =>
        {
            EnsureSameLimit(next, maxCount);
            if (next.FindValid(hash, now) is { } held)
            {
                // The same lease asking again (a retry after a lost answer): the same slot and token, extended.
                return ((LockOutcome.Renewed, Extend(next, held, now, ttl)), true);
            }

            if (_waiters.NextListening() is { } first && first.Key != hash)
            {
                // Others queued first: a try never jumps the queue. If a slot is free, the queue check hands it on
                // now; if none is, the check is already due when the next lease ends, and a refused try costs no turn
                // more.
                if (HasFreeSlot(next, now))
                {
                    ScheduleQueueCheck(TimeSpan.Zero);
                }

                return ((LockOutcome.Busy, null), false);
            }

            var limit = LimitFor(next, maxCount);
            if (next.HolderCountAt(now) >= limit)
            {
                // A refused try never touches storage.
                return ((LockOutcome.Busy, null), false);
            }

            next.DropExpired(now);
            next.MaxCount = limit;
            var granted = next.Grant(hash, owner, ttl, now);
            if (_waiters.TryGet(hash, out var ownWait))
            {
                // The caller also waits in the queue (at its head, or detached): the try serves it, so its place
                // goes, and its open wait calls get the same grant once it is durable.
                TakeForGrant(ownWait, granted, grants);
            }

            return ((LockOutcome.Granted, granted), true);
        }, "grant");

        if (lease is null)
        {
            return Result(LockOutcome.Busy, null, Current, at);
        }

        if (outcome == LockOutcome.Granted)
        {
            LogGranted(Name, owner, lease.Slot, lease.FencingToken, lease.ExpiresAt);
        }

        await EnsureReaperAsync(ttl);
        return Result(outcome, lease, Current, at);
    }

    public async Task<SemaphoreResult> Refresh(string leaseId, TimeSpan ttl)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        LockArguments.ValidateTtl(ttl, _options.MaxLeaseDuration);
        var hash = LeaseIdHash.Of(leaseId);

        // A lapsed lease is not revived, even if its slot is still free: the holder could not prove it held it in
        // the gap, so it must acquire again and get a new token.
        var (renewed, at) = await ChangeAsync<SemaphoreLease?>(
            (next, now, _) => next.FindValid(hash, now) is { } held ? (Extend(next, held, now, ttl), true) : (null, false),
            "refresh");
        if (renewed is null)
        {
            return Result(LockOutcome.NotHolder, null, Current, at);
        }

        await EnsureReaperAsync(ttl);
        return Result(LockOutcome.Renewed, renewed, Current, at);
    }

    public async Task<SemaphoreResult> Release(string leaseId)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        var hash = LeaseIdHash.Of(leaseId);
        var (ended, at) = await ChangeAsync<SemaphoreLease?>((next, now, _) =>
        {
            if (next.Find(hash) is not { } lease)
            {
                return (null, false);
            }

            // The slot's next holder, if anyone waits, is granted in this same write (a handoff costs one write).
            next.Leases.Remove(lease);
            return (lease, true);
        }, "release");

        if (ended is null)
        {
            return Result(LockOutcome.AlreadyReleased, null, Current, at);
        }

        LogReleased(Name, ended.Owner, ended.Slot, ended.FencingToken);
        return Result(LockOutcome.Released, null, Current, at);
    }

    public async Task<int> ForceRelease(int? slot)
    {
        ValidateName();
        if (slot is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Invalid slot: a semaphore's slots are numbered from 0 (was {slot}).");
        }

        var (ended, _) = await ChangeAsync<List<SemaphoreLease>>((next, now, _) =>
        {
            var ending = next.HoldersAt(now).Where(lease => slot is null || lease.Slot == slot).ToList();
            next.Leases.RemoveAll(ending.Contains);
            return (ending, ending.Count > 0);
        }, "forced release");

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

        // Raised: the waiters that now fit are granted in this same write. Lowered: nobody is revoked; new grants wait
        // until fewer than the new limit hold.
        var (oldLimit, at) = await ChangeAsync<int>((next, _, _) =>
        {
            var old = next.MaxCount;
            next.MaxCount = maxCount;
            return (old, old != maxCount);
        }, "limit change");

        if (oldLimit != maxCount)
        {
            LogLimitSet(Name, oldLimit, maxCount);
        }

        return Describe(at);
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

    /// <summary>Extends <paramref name="held"/> in <paramref name="next"/>: the same slot and token, a new end.</summary>
    private static SemaphoreLease Extend(SemaphoreState next, SemaphoreLease held, DateTimeOffset now, TimeSpan ttl)
    {
        var renewed = held with { ExpiresAt = now + ttl };
        next.Replace(held, renewed);
        return renewed;
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
