using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Semaphores;

/// <summary>
/// Fair waiting: callers queue in the grain, first come, first served (the lease core's <see cref="WaitQueue{TResult}"/>,
/// keyed by the lease id's hash), and the grain pushes a slot to the head of the queue when one frees up, instead of
/// every waiter polling. Follows the lock's waiting (LockGrain.Waiting.cs) rule for rule.
/// </summary>
/// <remarks>
/// <see cref="Acquire"/> is the only interleaving call: it parks a waiter and awaits its outcome. It never writes
/// state itself; it only touches the in-memory queue, in code without awaits, and reads the state only when no write
/// is in flight. Grants are written in ordinary turns (release, expiry check, limit change, try-acquire) and
/// completed to the waiters only after the write succeeded.
/// </remarks>
public sealed partial class SemaphoreGrain
{
    /// <summary>How long a waiter whose wait call ended keeps its place for the caller's next call.</summary>
    internal static readonly TimeSpan DetachedGrace = WaitQueue<SemaphoreResult>.DetachedGrace;

    private readonly WaitQueue<SemaphoreResult> _waiters = new();

    // The limit the queued waiters asked for while the semaphore has none stored yet (no grant so far): the first
    // grant stores it, and a caller with another limit is refused meanwhile.
    private int? _queuedLimit;

    // One timer for "check the queue": fired at once when a slot is free for a waiter, and while waiters wait for a
    // full semaphore, at the next lease's end (at most every ExpiryCheckInterval, since the lease clock may be moved).
    private QueueCheckTimer? _queueCheck;

    public async Task<SemaphoreResult> Acquire(string owner, string leaseId, int maxCount, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ValidateCall(owner, leaseId, ttl);
        ValidateMaxCount(maxCount);
        LockArguments.ValidateWait(timeout);
        // A grant being written right now (perhaps this caller's own) is answered by storage's verdict: never by the
        // unwritten state, nor by a Busy that the write is about to make wrong.
        await _record.WhenWritesSettledAsync();
        var now = _leaseClock.Now();
        var current = Current;
        EnsureSameLimit(current, maxCount);
        var hash = LeaseIdHash.Of(leaseId);

        if (current.FindValid(hash, now) is { } held)
        {
            // A retried wait whose grant already landed: the grant is found again, not leaked.
            return Result(LockOutcome.Granted, held, current, now);
        }

        _waiters.DropDetached(DetachedGrace);
        if (!_waiters.TryGet(hash, out var waiter))
        {
            if (_waiters.Count >= _options.MaxWaiters)
            {
                throw new LockQueueFullException(
                    $"Semaphore '{Name}': {_waiters.Count} callers are already waiting, the most this silo allows (LockGrainOptions.MaxWaiters = {_options.MaxWaiters}). Try again later.");
            }

            if (current.MaxCount == 0)
            {
                _queuedLimit = maxCount;
            }

            waiter = _waiters.Enqueue(hash, owner, ttl);
        }

        waiter.OpenCalls++;
        _waiters.Listen(waiter);
        ScheduleQueueCheck(HasFreeSlot(current, now) ? TimeSpan.Zero : TimeUntilNextExpiry(current, now));

        // The wait is measured in real time: it is the caller's patience, not a lease.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var gaveUp = Task.Delay(timeout, stopWaiting.Token);
            await Task.WhenAny(waiter.Outcome.Task, gaveUp);
            // Bounded, as in the lock: an activation that is deactivating runs no queue check and waits for this
            // call to end, so an unbounded wait here would stall the semaphore.
            var checkGraceEnds = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(3 * _options.ExpiryCheckInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (!waiter.Outcome.Task.IsCompleted && !waiter.Granting && !cancellationToken.IsCancellationRequested
                   && System.Diagnostics.Stopwatch.GetTimestamp() < checkGraceEnds && await IsSlotFreeForQueueAsync())
            {
                // A slot is free and the queue check due now hands it out, as a try would have been granted: even
                // a zero timeout waits for that turn (at most three check intervals) instead of answering Busy.
                await Task.WhenAny(waiter.Outcome.Task, Task.Delay(_options.ExpiryCheckInterval / 10, stopWaiting.Token));
            }

            if (waiter.Outcome.Task.IsCompleted || waiter.Granting)
            {
                // Granted, or the grant is being written right now: its outcome is this caller's answer either way.
                return await waiter.Outcome.Task ?? Result(LockOutcome.Busy, null, Current, _leaseClock.Now());
            }
        }
        finally
        {
            stopWaiting.Cancel();
            waiter.OpenCalls--;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: out of the queue at once, never granted.
            _waiters.Remove(waiter);
            waiter.Outcome.TrySetResult(null);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (waiter.OpenCalls == 0)
        {
            // This wait call timed out. The caller usually calls again at once to go on waiting, so it keeps its
            // place for DetachedGrace, detached: never granted while nobody listens, dropped if nobody comes back.
            _waiters.Detach(waiter);
        }

        return Result(LockOutcome.Busy, null, Current, _leaseClock.Now());
    }

    public async Task<SemaphoreResult> Abandon(string leaseId)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        var hash = LeaseIdHash.Of(leaseId);
        // Not Granting: grants are written in ordinary turns, and this is one too, so none is in flight.
        _waiters.TryWithdraw(hash);

        var now = _leaseClock.Now();
        var current = Current;
        if (current.Find(hash) is { } lease)
        {
            // Granted, but the answer never reached the caller, who has given up: hand the slot on.
            var after = await EndLeasesAsync(current, [lease], now, "abandon");
            return Result(LockOutcome.Released, null, after, now);
        }

        return Result(LockOutcome.AlreadyReleased, null, current, now);
    }

    /// <summary>
    /// Writes <paramref name="next"/> (the caller's change, with the leases that ran out dropped) together with a
    /// grant to every listening waiter that now fits, first come first served: one durable write however many slots
    /// freed up. The waiters learn of their grants only after the write; on failure they get the storage error, and
    /// so does the caller.
    /// </summary>
    private async Task<SemaphoreState> GrantWaitersAsync(SemaphoreState next, DateTimeOffset now, string operation, bool writeWithoutGrants = true)
    {
        next.DropExpired(now);
        if (next.MaxCount == 0 && _waiters.Count > 0 && _queuedLimit is { } queuedLimit)
        {
            next.MaxCount = queuedLimit;
        }

        var grants = new List<(Waiter<SemaphoreResult> Waiter, SemaphoreLease Lease)>();
        while (next.Leases.Count < next.MaxCount && _waiters.NextListening() is { } waiter)
        {
            // Out of the queue now, so the next one is found; Granting keeps its open wait calls on this outcome.
            waiter.Granting = true;
            _waiters.Remove(waiter);
            grants.Add((waiter, next.Grant(waiter.Key, waiter.Owner, waiter.Ttl, now)));
        }

        if (grants.Count == 0 && !writeWithoutGrants)
        {
            return Current;
        }

        try
        {
            await _record.WriteAsync(next, operation);
        }
        catch (LockStorageException exception)
        {
            foreach (var (waiter, _) in grants)
            {
                waiter.Granting = false;
                waiter.Outcome.TrySetException(exception);
            }

            throw;
        }

        foreach (var (waiter, lease) in grants)
        {
            waiter.Outcome.TrySetResult(Result(LockOutcome.Granted, lease, next, now));
            LogHandedOver(Name, waiter.Owner, lease.Slot, lease.FencingToken, _waiters.Count);
        }

        if (grants.Count > 0)
        {
            await EnsureReaperAsync(grants.Max(grant => grant.Waiter.Ttl));
        }

        if (_waiters.Count > 0)
        {
            ScheduleQueueCheck(TimeUntilNextExpiry(next, now));
        }

        return next;
    }

    /// <summary>Whether a slot is free while waiters listen; if so, makes sure the queue is checked now.</summary>
    private async Task<bool> IsSlotFreeForQueueAsync()
    {
        await _record.WhenWritesSettledAsync();
        if (!HasFreeSlot(Current, _leaseClock.Now()) || _waiters.NextListening() is null)
        {
            return false;
        }

        ScheduleQueueCheck(TimeSpan.Zero);
        return true;
    }

    private bool HasFreeSlot(SemaphoreState state, DateTimeOffset now) =>
        state.HolderCountAt(now) < (state.MaxCount != 0 ? state.MaxCount : _queuedLimit ?? 0);

    private async Task CheckQueueAsync()
    {
        _waiters.DropDetached(DetachedGrace);
        if (_waiters.NextListening() is null)
        {
            return;
        }

        var now = _leaseClock.Now();
        var current = Current;
        if (!HasFreeSlot(current, now))
        {
            ScheduleQueueCheck(TimeUntilNextExpiry(current, now));
            return;
        }

        try
        {
            await GrantWaitersAsync(current.Copy(), now, "handoff", writeWithoutGrants: false);
        }
        catch (LockStorageException)
        {
            // Those waiters got the error; give the others their chance shortly.
            ScheduleQueueCheck(_options.ExpiryCheckInterval);
        }
    }

    private TimeSpan TimeUntilNextExpiry(SemaphoreState state, DateTimeOffset now)
    {
        var remaining = (state.NextExpiryAfter(now) ?? now) - now;
        return remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining > _options.ExpiryCheckInterval ? _options.ExpiryCheckInterval : remaining;
    }

    /// <summary>Makes sure the queue is checked within <paramref name="dueTime"/> (see <see cref="QueueCheckTimer"/>).</summary>
    private void ScheduleQueueCheck(TimeSpan dueTime) => (_queueCheck ??= new QueueCheckTimer(this, CheckQueueAsync)).Schedule(dueTime);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Semaphore '{SemaphoreName}': slot {Slot} handed to waiter '{Owner}' with fencing token {FencingToken}; {Waiting} still waiting.")]
    private partial void LogHandedOver(string semaphoreName, string owner, int slot, long fencingToken, int waiting);
}
