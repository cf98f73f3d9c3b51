using LockService.Leases;
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
/// Every state change goes through <see cref="WriteOrFailClosedAsync"/> (the lease core's
/// <see cref="DurableRecord{TState}"/>): it is written as a copy and becomes visible only after storage has accepted
/// it. The only call that interleaves is <see cref="Acquire"/> (waiting must not block the lock): it never writes (grants to waiters happen in ordinary turns, see LockGrain.Waiting.cs), and it waits for
/// a write in flight before it reads the state, so it answers with storage's verdict, not a guess.
/// </remarks>
[GrainType("lock")]
public sealed partial class LockGrain : Grain, ILockGrain, IRemindable
{
    // The state is loaded by hand rather than through [PersistentState], so that a name that breaks the rules is
    // refused before it reaches the database (PostgreSQL rejects NUL in text, for one) and a storage error is
    // reported as a LockStorageException that crosses the wire, not as a driver exception that cannot.
    private readonly IGrainStorage _storage;
    // What storage holds (with its ETag), except for a lazily written release (LockGrain.LazyRelease.cs). Made in
    // OnActivateAsync, where the lock's name is known.
    private DurableRecord<LockState> _record = null!;
    // The lock clock, for building _leaseClock only: every lease decision reads the time from _leaseClock.
    private readonly TimeProvider _clock;
    // The time leases are judged and stamped by: the lock clock, held back while a lease runs across a forward step
    // of the system clock (LeaseClock says why). Made in OnActivateAsync, with the record it consults.
    private LeaseClock _leaseClock = null!;
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

    private GrainId StorageId => LockStorageKeys.For(Name);

    private LockState Current => _record.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _record = new LockRecord(this);
        _leaseClock = new LeaseClock(_clock, at => !_record.IsWriting && !Current.IsHeldAt(at), _record.Subject, _logger);

        if (IsValidName(Name))
        {
            await _record.LoadAsync();
        }
    }

    public async Task<LockResult> TryAcquire(string owner, TimeSpan ttl)
    {
        ValidateCall(owner, ttl);
        var now = _leaseClock.Now();
        var current = Current;

        if (current.IsHeldAt(now))
        {
            if (current.Holder != owner || current.LeaseIdOnly)
            {
                // A refused try never touches storage. A lease granted by lease id is not the owner's to renew: the
                // owner is only its label.
                return Result(LockOutcome.Busy, current);
            }

            // Renewed: the grain keeps only the hash of the lease id it made, so the answer cannot carry it.
            return await ExtendAsync(now, ttl);
        }

        // The card's call keeps working as written: the grain makes the lease id, for callers that want to release or
        // refresh by lease id later, while owner and token still match this lease too.
        var leaseId = LeaseIds.New();
        return await GrantToCallerAsync(new Claimant(owner, LeaseIdHash.BytesOf(leaseId), LeaseIdOnly: false), waitKey: owner, ttl, now, leaseId);
    }

    /// <summary>
    /// Grants the free lock to a caller (a try), unless others queued first. A waiter of the caller's own (same wait
    /// key) is served by the grant: its place goes and its open wait calls get the same grant.
    /// </summary>
    private async Task<LockResult> GrantToCallerAsync(Claimant claimant, string waitKey, TimeSpan ttl, DateTimeOffset now, string? madeLeaseId)
    {
        var current = Current;
        if (_waiters.NextListening() is { } next && next.Owner != waitKey)
        {
            // Free, but others queued first: fairness says the head of the queue gets it, not the caller who tried.
            var handedOver = await GrantToWaiterAsync(next, current, now);
            return Result(LockOutcome.Busy, handedOver);
        }

        var granted = NewGrant(current, claimant, ttl, now);
        await WriteOrFailClosedAsync(granted, "grant");
        LogGranted(Name, claimant.Holder, granted.FencingToken, granted.ExpiresAt!.Value);
        var answer = Result(LockOutcome.Granted, granted, madeLeaseId);
        if (_waiters.TryGet(waitKey, out var ownWait))
        {
            // The caller also waits in the queue (at its head, or detached): the try served it, so its place goes,
            // and its open wait calls get the same grant.
            _waiters.Remove(ownWait);
            ownWait.Outcome.TrySetResult(answer);
        }

        await EnsureReaperAsync(ttl);
        return answer;
    }

    public async Task<LockResult> Refresh(string owner, long fencingToken, TimeSpan ttl)
    {
        ValidateCall(owner, ttl);
        var now = _leaseClock.Now();
        var current = Current;

        // A lapsed lease is not revived, even if nobody took the lock since: the holder could not prove it held
        // the lock in the gap, so it must acquire again and get a new token.
        if (!current.IsHeldAt(now) || current.LeaseIdOnly || current.Holder != owner || current.FencingToken != fencingToken)
        {
            return Result(LockOutcome.NotHolder, current, now);
        }

        return await ExtendAsync(now, ttl);
    }

    public async Task<LockResult> Release(string owner, long fencingToken)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateOwner(owner);
        var now = _leaseClock.Now();
        var current = Current;

        // A lease granted by lease id answers to its lease id only; owner and token are shown by status to anyone.
        if (!current.LeaseIdOnly && current.Holder == owner && current.FencingToken == fencingToken)
        {
            // With nobody waiting the release reaches storage lazily; LockGrain.LazyRelease.cs argues why that is safe.
            var after = CanReleaseLazily ? ReleaseLazily(current) : await EndLeaseAsync(current, now, "release");
            LogReleased(Name, owner, fencingToken);
            return Result(LockOutcome.Released, after);
        }

        if (!current.LeaseIdOnly && current.LastHolder == owner && current.FencingToken == fencingToken && current.Holder is null)
        {
            return Result(LockOutcome.AlreadyReleased, current);
        }

        return Result(LockOutcome.NotHolder, current, now);
    }

    public async Task<LockResult> ForceRelease()
    {
        LockArguments.ValidateName(Name);
        var now = _leaseClock.Now();
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
        var now = _leaseClock.Now();
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
    private static LockState NewGrant(LockState current, Claimant claimant, TimeSpan ttl, DateTimeOffset now)
    {
        var granted = current.Copy();
        granted.Holder = claimant.Holder;
        granted.LastHolder = claimant.Holder;
        granted.LeaseIdHashBytes = claimant.LeaseIdHash;
        granted.LeaseIdOnly = claimant.LeaseIdOnly;
        granted.FencingToken = checked(current.FencingToken + 1);
        granted.AcquiredAt = now;
        granted.ExpiresAt = now + ttl;
        return granted;
    }

    /// <summary>
    /// Makes <paramref name="next"/> the lock's state only once storage has accepted it; on a conflict or any storage
    /// failure the activation goes back to what storage holds and the call fails closed (see <see cref="DurableRecord{TState}"/>).
    /// </summary>
    private Task WriteOrFailClosedAsync(LockState next, string operation) => _record.WriteAsync(next, operation);

    /// <summary>Waits until no write is in flight, so the state read next is storage's verdict (for interleaving calls).</summary>
    private Task WhenWritesSettledAsync() => _record.WhenWritesSettledAsync();

    /// <summary>What storage holds for this lock, carried over from its former key if it has none under its own.</summary>
    private async Task<GrainState<LockState>> ReadStoredAsync()
    {
        var stored = await ReadStoredAsync(StorageId);
        if (!stored.RecordExists && LockStorageKeys.FormerFor(Name) is { } formerId && await ReadStoredAsync(formerId) is { RecordExists: true } former)
        {
            // A name with braces, stored under its plain key before keys were escaped: carry that record over (its
            // fencing token above all). The first write inserts it under the new key; the old row is left alone.
            LogFormerRecordCarriedOver(Name, former.State!.FencingToken);
            return new GrainState<LockState>(former.State);
        }

        return stored;
    }

    private Task<GrainState<LockState>> ReadStoredAsync(GrainId storageId) => _record.ReadAsync(storageId);

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

    private LockResult Result(LockOutcome outcome, LockState state, string? madeLeaseId = null) =>
        new(outcome, Name, state.Holder, state.FencingToken, state.AcquiredAt, state.ExpiresAt, madeLeaseId);

    // For refusals: report the valid holder, not a stale one whose lease has run out.
    private LockResult Result(LockOutcome outcome, LockState state, DateTimeOffset now) =>
        state.IsHeldAt(now) ? Result(outcome, state) : new(outcome, Name, null, state.FencingToken, null, null);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}' granted to '{Owner}' with fencing token {FencingToken} until {ExpiresAt:o}.")]
    private partial void LogGranted(string lockName, string owner, long fencingToken, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}' released by '{Owner}' (fencing token {FencingToken}).")]
    private partial void LogReleased(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': lease of '{Owner}' (fencing token {FencingToken}) ended by a forced release.")]
    private partial void LogForceReleased(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock '{LockName}': carrying over its record (fencing token {FencingToken}) from the key it was stored under before braces in keys were escaped.")]
    private partial void LogFormerRecordCarriedOver(string lockName, long fencingToken);

}
