using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Semaphores;

/// <summary>
/// Fair waiting: callers queue in the grain, first come, first served (the lease core's <see cref="WaitQueue{TResult}"/>,
/// keyed by the lease id's hash), and the grain pushes a slot to the head of the queue when one frees up, instead of
/// every waiter polling. Follows the lock's waiting (LockGrain.Waiting.cs) rule for rule.
/// </summary>
/// <remarks>
/// <see cref="Acquire"/> parks a waiter and awaits its outcome. It joins the queue inside a change, so it is judged on
/// the state the next write starts from, and writes only when that change finds a slot free for the queue. Grants are made
/// inside the changes that free slots (release, expiry check, limit change, abandon, forced release, reap), in the
/// write that frees them, and completed to the waiters only after that write succeeded; a failed write fails them with
/// the storage error, as it fails every call whose change it carried.
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
        var hash = LeaseIdHash.Of(leaseId);

        // Joins the queue inside a change, so it is judged on the state the next write starts from: a grant to this
        // lease being written right now (a retried wait whose grant is landing) is found there, never granted twice.
        // A slot that is free is granted at once, in that write.
        Waiter<SemaphoreResult>? waiter = null;
        SemaphoreLease? held = null;
        DateTimeOffset at;
        try
        {
            (_, at) = await ChangeAsync<bool>((next, now, _) =>
            {
                EnsureSameLimit(next, maxCount);
                if (next.FindValid(hash, now) is { } valid)
                {
                    // A retried wait whose grant already landed: the grant is found again, not leaked.
                    held = valid;
                    return (false, false);
                }

                waiter = JoinQueue(next, hash, owner, maxCount, ttl);
                return (false, false);
            }, "grant to a waiter", serveQueue: true);
        }
        catch (LockStorageException) when (waiter is { Queued: true })
        {
            // The write that carried this change failed for the others in it: this call only joined the queue, and
            // stays there. Their grants failed closed; give the queue its next chance shortly.
            at = _leaseClock.Now();
            ScheduleQueueCheck(_options.ExpiryCheckInterval);
        }
        catch
        {
            if (waiter is not null)
            {
                waiter.OpenCalls--;
            }

            throw;
        }

        if (waiter is null)
        {
            // It found its grant (held).
            return Result(LockOutcome.Granted, held, Current, at);
        }

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
                   && System.Diagnostics.Stopwatch.GetTimestamp() < checkGraceEnds && IsSlotFreeForQueue())
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

    /// <summary>
    /// Puts the caller in the queue (or back into its earlier place) as a listening waiter with one more open call. Checks
    /// before it changes anything: a full queue throws <see cref="LockQueueFullException"/> and leaves all as it was.
    /// </summary>
    private Waiter<SemaphoreResult> JoinQueue(SemaphoreState next, string hash, string owner, int maxCount, TimeSpan ttl)
    {
        _waiters.DropDetached(DetachedGrace);
        if (!_waiters.TryGet(hash, out var waiter))
        {
            if (_waiters.Count >= _options.MaxWaiters)
            {
                throw new LockQueueFullException(
                    $"Semaphore '{Name}': {_waiters.Count} callers are already waiting, the most this silo allows (LockGrainOptions.MaxWaiters = {_options.MaxWaiters}). Try again later.");
            }

            if (next.MaxCount == 0)
            {
                _queuedLimit = maxCount;
            }

            waiter = _waiters.Enqueue(hash, owner, ttl);
        }

        waiter.OpenCalls++;
        _waiters.Listen(waiter);
        return waiter;
    }

    public async Task<SemaphoreResult> Abandon(string leaseId)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        var hash = LeaseIdHash.Of(leaseId);
        // A queued waiter is never being granted (a grant takes it out of the queue first), so it just leaves.
        _waiters.TryWithdraw(hash);

        // Decided inside the change: a grant to this lease that is being written right now is in the state it sees.
        var (ended, at) = await ChangeAsync<SemaphoreLease?>((next, _, _) =>
        {
            if (next.Find(hash) is not { } lease)
            {
                return (null, false);
            }

            // Granted, but the answer never reached the caller, who has given up: hand the slot on.
            next.Leases.Remove(lease);
            return (lease, true);
        }, "abandon");

        return Result(ended is null ? LockOutcome.AlreadyReleased : LockOutcome.Released, null, Current, at);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the next state in the coalesced write and, when it changed something (or
    /// <paramref name="serveQueue"/>), grants in that same write every listening waiter that now fits, first come,
    /// first served: one durable write however many slots freed up, and however many calls' changes it carries.
    /// Returns the change's result and the time it was judged at once storage has accepted the write; the waiters
    /// granted hear of it only then. On failure they get the storage error, and so does the caller.
    /// </summary>
    /// <remarks>
    /// The change may hand out grants itself (a try serving its caller's own wait) by adding to the list it is given;
    /// it must check before it mutates, so one that throws (bad input) leaves the state and the queue as they were.
    /// </remarks>
    private async Task<(TResult Result, DateTimeOffset At)> ChangeAsync<TResult>(
        Func<SemaphoreState, DateTimeOffset, List<WaiterGrant>, (TResult Result, bool Changed)> change,
        string operation,
        bool serveQueue = false)
    {
        var grants = new List<WaiterGrant>();
        var at = default(DateTimeOffset);
        var wrote = false;
        TResult result;
        try
        {
            result = await _writer.ChangeAsync((next, now) =>
            {
                at = now;
                var (changeResult, changed) = change(next, now, grants);
                if (changed || serveQueue)
                {
                    GrantWaiters(next, now, grants);
                }

                wrote = changed || grants.Count > 0;
                return (changeResult, wrote);
            }, operation);
        }
        catch (LockStorageException exception)
        {
            foreach (var grant in grants)
            {
                grant.Waiter.Granting = false;
                grant.Waiter.Outcome.TrySetException(exception);
            }

            throw;
        }

        foreach (var grant in grants)
        {
            grant.Waiter.Outcome.TrySetResult(Result(LockOutcome.Granted, grant.Lease, Current, at));
            LogHandedOver(Name, grant.Waiter.Owner, grant.Lease.Slot, grant.Lease.FencingToken, _waiters.Count);
        }

        if (grants.Count > 0)
        {
            await EnsureReaperAsync(grants.Max(grant => grant.Waiter.Ttl));
        }

        if (_waiters.Count > 0 && (wrote || serveQueue))
        {
            ScheduleQueueCheck(TimeUntilNextExpiry(Current, at));
        }

        return (result, at);
    }

    /// <summary>
    /// Grants every listening waiter that fits in <paramref name="next"/> (with the leases that ran out dropped), first
    /// come first served, and adds them to <paramref name="grants"/>.
    /// </summary>
    private void GrantWaiters(SemaphoreState next, DateTimeOffset now, List<WaiterGrant> grants)
    {
        next.DropExpired(now);
        if (_waiters.NextListening() is null)
        {
            return;
        }

        if (next.MaxCount == 0 && _queuedLimit is { } queuedLimit)
        {
            next.MaxCount = queuedLimit;
        }

        while (_waiters.NextListening() is { } waiter)
        {
            if (next.FindValid(waiter.Key, now) is { } held)
            {
                // Its lease was granted already (by a try of the same lease id): it gets that grant, never a second slot.
                TakeForGrant(waiter, held, grants);
                continue;
            }

            if (next.Leases.Count >= next.MaxCount)
            {
                return;
            }

            TakeForGrant(waiter, next.Grant(waiter.Key, waiter.Owner, waiter.Ttl, now), grants);
        }
    }

    /// <summary>
    /// Takes <paramref name="waiter"/> out of the queue (so the next one is found, and no later change grants it again)
    /// for <paramref name="lease"/>; Granting keeps its open wait calls on the write's outcome.
    /// </summary>
    private void TakeForGrant(Waiter<SemaphoreResult> waiter, SemaphoreLease lease, List<WaiterGrant> grants)
    {
        waiter.Granting = true;
        _waiters.Remove(waiter);
        grants.Add(new WaiterGrant(waiter, lease));
    }

    /// <summary>
    /// Whether a slot is free (in the state storage has accepted) while waiters listen; if so, makes sure the queue is
    /// checked now. A write in flight may be granting that slot already; the check then finds nothing to do.
    /// </summary>
    private bool IsSlotFreeForQueue()
    {
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

        try
        {
            // Writes only if it grants someone; either way the next check is scheduled (by the next lease's end).
            await ChangeAsync<bool>((_, _, _) => (false, false), "handoff", serveQueue: true);
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

    /// <summary>A waiter granted a lease by a change: told once the write that carries it is durable.</summary>
    private readonly record struct WaiterGrant(Waiter<SemaphoreResult> Waiter, SemaphoreLease Lease);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Semaphore '{SemaphoreName}': slot {Slot} handed to waiter '{Owner}' with fencing token {FencingToken}; {Waiting} still waiting.")]
    private partial void LogHandedOver(string semaphoreName, string owner, int slot, long fencingToken, int waiting);
}
