using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Grains;

/// <summary>
/// Fair waiting: callers queue in the grain, first come, first served, and the grain pushes the lock to the head of
/// the queue when the lease ends, instead of every waiter polling.
/// </summary>
/// <remarks>
/// <see cref="Acquire"/> is the only interleaving call: it parks a waiter and awaits its outcome, so the lock keeps
/// serving everyone else meanwhile. It never writes state itself; it only touches the in-memory queue, in code
/// without awaits, so interleaving cannot tear anything, and it reads the lock's state only when no write is in
/// flight (<see cref="WhenWritesSettledAsync"/>). Grants are written in ordinary turns (release, expiry check,
/// try-acquire) and completed to the waiter only after the write succeeded.
/// </remarks>
public sealed partial class LockGrain
{
    /// <summary>How long a waiter whose wait call ended keeps its place for the caller's next call.</summary>
    internal static readonly TimeSpan DetachedGrace = WaitQueue.DetachedGrace;

    private readonly WaitQueue _waiters = new();

    // One timer for "check the queue": fired at once when a waiter arrives at a free lock, and while waiters wait
    // for a held lock, at the lease's end (at most every ExpiryCheckInterval, since the lock clock may be moved).
    private QueueCheckTimer? _queueCheck;

    public async Task<LockResult> Acquire(string owner, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ValidateCall(owner, ttl);
        LockArguments.ValidateWait(timeout);
        // A grant being written right now (perhaps this caller's own, by a try or an earlier wait call) is answered
        // by storage's verdict: never by the unwritten state, nor by a Busy that the write is about to make wrong.
        await WhenWritesSettledAsync();
        var now = _leaseClock.Now();
        var current = Current;

        if (current.IsHeldAt(now) && current.Holder == owner && !current.LeaseIdOnly)
        {
            // A retried wait whose grant already landed: the grant is found again, not leaked.
            return Result(LockOutcome.Granted, current);
        }

        return await WaitInQueueAsync(owner, lease: null, ttl, timeout, current, now, cancellationToken);
    }

    /// <summary>
    /// Queues the caller under <paramref name="waitKey"/> (joining its earlier place if it has one) and waits for the
    /// grant, at most <paramref name="timeout"/>. <paramref name="lease"/> is null for an owner-keyed waiter.
    /// </summary>
    private async Task<LockResult> WaitInQueueAsync(
        string waitKey, LeaseWaiter? lease, TimeSpan ttl, TimeSpan timeout, LockState current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        _waiters.DropDetached(DetachedGrace);
        if (!_waiters.TryGet(waitKey, out var waiter))
        {
            if (_waiters.Count >= _options.MaxWaiters)
            {
                throw new LockQueueFullException(
                    $"Lock '{Name}': {_waiters.Count} callers are already waiting, the most this silo allows (LockGrainOptions.MaxWaiters = {_options.MaxWaiters}). Try again later.");
            }

            waiter = _waiters.Enqueue(waitKey, ttl);
            if (lease is not null)
            {
                (_leaseWaiters ??= new()).Add(waiter, lease);
            }
        }

        waiter.OpenCalls++;
        _waiters.Listen(waiter);
        // A free lock is granted to the queue at once. A held one needs a check by the end of its lease only; while
        // callers queue for a busy lock, that check is usually pending already and nothing needs to change.
        ScheduleQueueCheck(current.IsHeldAt(now) ? TimeUntilExpiry(current, now) : TimeSpan.Zero);

        // The wait is measured in real time: it is the caller's patience, not a lease.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var gaveUp = Task.Delay(timeout, stopWaiting.Token);
            await Task.WhenAny(waiter.Outcome.Task, gaveUp);
            // Bounded: an activation that is deactivating runs no queue check, and it waits for this call to end
            // before it can deactivate, so an unbounded wait here would stall the lock (seen after a PostgreSQL
            // restart in the chaos suite: a failed reload deactivates the activation).
            var checkGraceEnds = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(3 * _options.ExpiryCheckInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (!waiter.Outcome.Task.IsCompleted && !waiter.Granting && !cancellationToken.IsCancellationRequested
                   && System.Diagnostics.Stopwatch.GetTimestamp() < checkGraceEnds && await IsNextToBeGrantedAsync(waiter))
            {
                // The lock is free and this caller is first in line: the queue check due now grants it, as a try
                // would have been granted. Even a zero timeout waits for that turn (at most three check intervals)
                // instead of answering Busy.
                await Task.WhenAny(waiter.Outcome.Task, Task.Delay(_options.ExpiryCheckInterval / 10, stopWaiting.Token));
            }

            if (waiter.Outcome.Task.IsCompleted || waiter.Granting)
            {
                // Granted, or the grant is being written right now: its outcome is this caller's answer either way.
                return await waiter.Outcome.Task ?? Result(LockOutcome.Busy, Current, _leaseClock.Now());
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
            // place for DetachedGrace, detached: not granted until it is listening again, dropped if it never is
            // (a client that disconnected), so a dead waiter costs at most one wait call, not a lease.
            _waiters.Detach(waiter);
        }

        return Result(LockOutcome.Busy, Current, _leaseClock.Now());
    }

    public async Task<LockResult> Abandon(string owner)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateOwner(owner);
        // Not Granting: grants are written in ordinary turns, and this is one too, so none is in flight.
        _waiters.TryWithdraw(owner);

        var now = _leaseClock.Now();
        var current = Current;
        if (current.Holder == owner && !current.LeaseIdOnly)
        {
            // Granted, but the answer never reached the caller, who has given up: hand it on rather than let it idle.
            var after = await EndLeaseAsync(current, now, "abandon");
            return Result(LockOutcome.Released, after);
        }

        return Result(LockOutcome.AlreadyReleased, current, now);
    }

    /// <summary>
    /// Grants the lock to <paramref name="waiter"/> with the lease that <paramref name="current"/> held ending in the
    /// same write. The waiter learns of the grant only after it is durable; on failure it gets the storage error.
    /// </summary>
    private async Task<LockState> GrantToWaiterAsync(Waiter waiter, LockState current, DateTimeOffset now)
    {
        // An owner-keyed waiter gets a lease id made here, as the owner's try would; a lease waiter brought its own.
        LeaseWaiter? lease = null;
        var madeLeaseId = _leaseWaiters?.TryGetValue(waiter, out lease) == true ? null : LeaseIds.New();
        var claimant = lease is not null
            ? new Claimant(lease.Owner, lease.LeaseIdHash, LeaseIdOnly: true)
            : new Claimant(waiter.Owner, LeaseIdHash.BytesOf(madeLeaseId!), LeaseIdOnly: false);
        var granted = NewGrant(current, claimant, waiter.Ttl, now);
        waiter.Granting = true;
        try
        {
            await WriteOrFailClosedAsync(granted, "handoff");
        }
        catch (LockStorageException exception)
        {
            waiter.Granting = false;
            _waiters.Remove(waiter);
            waiter.Outcome.TrySetException(exception);
            throw;
        }

        _waiters.Remove(waiter);
        waiter.Outcome.TrySetResult(Result(LockOutcome.Granted, granted, madeLeaseId));
        LogHandedOver(Name, claimant.Holder, granted.FencingToken, _waiters.Count);
        await EnsureReaperAsync(waiter.Ttl);
        if (_waiters.Count > 0)
        {
            ScheduleQueueCheck(TimeUntilExpiry(granted, now));
        }

        return granted;
    }

    /// <summary>Whether <paramref name="waiter"/> heads the queue of a free lock; if so, makes sure the queue is checked now.</summary>
    private async Task<bool> IsNextToBeGrantedAsync(Waiter waiter)
    {
        await WhenWritesSettledAsync();
        if (Current.IsHeldAt(_leaseClock.Now()) || _waiters.NextListening() != waiter)
        {
            return false;
        }

        ScheduleQueueCheck(TimeSpan.Zero);
        return true;
    }

    private async Task CheckQueueAsync()
    {
        _waiters.DropDetached(DetachedGrace);
        if (_waiters.NextListening() is not { } next)
        {
            return;
        }

        var now = _leaseClock.Now();
        var current = Current;
        if (current.IsHeldAt(now))
        {
            ScheduleQueueCheck(TimeUntilExpiry(current, now));
            return;
        }

        try
        {
            await GrantToWaiterAsync(next, current, now);
        }
        catch (LockStorageException)
        {
            // That waiter got the error; give the others their chance shortly.
            ScheduleQueueCheck(_options.ExpiryCheckInterval);
        }
    }

    private TimeSpan TimeUntilExpiry(LockState state, DateTimeOffset now)
    {
        var remaining = (state.ExpiresAt ?? now) - now;
        return remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining > _options.ExpiryCheckInterval ? _options.ExpiryCheckInterval : remaining;
    }

    /// <summary>Makes sure the queue is checked within <paramref name="dueTime"/> (see <see cref="QueueCheckTimer"/>).</summary>
    private void ScheduleQueueCheck(TimeSpan dueTime) => (_queueCheck ??= new QueueCheckTimer(this, CheckQueueAsync)).Schedule(dueTime);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}' handed to waiter '{Owner}' with fencing token {FencingToken}; {Waiting} still waiting.")]
    private partial void LogHandedOver(string lockName, string owner, long fencingToken, int waiting);
}
