namespace LockService.Grains;

/// <summary>
/// Lazily durable release: a release with nobody waiting takes effect in memory at once and reaches storage a moment
/// later (<see cref="LockGrainOptions.ReleaseWriteDelay"/>), or with the next write, whichever comes first. A hot lock
/// that is acquired and released over and over then costs one durable write per acquire+release pair, not two.
/// </summary>
/// <remarks>
/// <para>Why this can never allow two holders. Storage lags this activation only by releases, never by grants: every
/// grant is still an ETag-checked write that completes before it is returned. So whoever reads storage instead of this
/// activation's memory (a new activation after the silo died, a duplicate activation) sees, in the worst case, the
/// releaser still holding its lease. It then refuses everyone until that lease's <c>ExpiresAt</c>, as it would for
/// any holder. The releaser does not renew a lease it has released (its handle stopped renewing before it sent the
/// release), so the lease runs out and the lock is granted again: a lost release delays the next grant by at most the
/// rest of the lease, and never hands the lock to a second holder while the first one may still act.</para>
/// <para>Why fencing tokens still only grow. A release does not change the token: the stored record and memory agree
/// on it, and the next grant (from memory here, or from storage anywhere else) writes that token + 1, checked against
/// the ETag of the last durable write. A grant from a stale view loses the ETag race and fails closed.</para>
/// <para>Only a release by the holder with an empty queue is lazy. A handoff to a waiter is a grant, so it is written
/// before the waiter hears of it; a forced release, an abandon and a reap stay durable at once, because the lease
/// they end belongs to someone who might still renew it.</para>
/// <para>And only the release of a lease granted by lease id (<see cref="LockState.LeaseIdOnly"/>: the handle API,
/// <c>lockctl run</c>). After a lost release, storage names the released lease until it ends, and whoever can present
/// what identifies it would find it again. For a lease id that is only its holder, who has let go of it and never
/// presents it again (every acquisition makes a new one), so everyone, the holder included, is refused until the
/// lease ends: the delay above and nothing else. An owner name, by contrast, is asked again by whoever reuses it (a
/// fixed <c>--owner</c>), who would be answered <see cref="LockOutcome.Renewed"/> with the old token instead of a
/// new grant: safe, but a surprise, so a lease of the owner calls is released durably at once, whatever the delay.</para>
/// <para>The unwritten release is written when the delay passes (a grain timer, which does not keep the activation
/// alive), or when the activation deactivates; the reaper reminder is kept while it is unwritten. A failed write is
/// only logged: storage then names the releaser until its lease ends, which is the delay described above.</para>
/// <para>The write takes one of the silo's few deferred-write slots (<see cref="DeferredReleaseWrites"/>). The lock
/// waits in line for it outside its turns, so while other locks' writes hold every slot it keeps answering its own
/// callers (still lazily behind storage by this release only); once the slot is its own, the write runs in an ordinary
/// turn, like every other write of this grain.</para>
/// </remarks>
public sealed partial class LockGrain
{
    // Memory is ahead of storage by a release: Current has no holder, storage still names the last one.
    private bool _releaseUnwritten;
    private IGrainTimer? _releaseWriteTimer;
    private readonly DeferredReleaseWrites _deferredReleaseWrites;

    // The deferred-write slot this lock is in line for (or has been given and not used yet), or null.
    private Task<IDisposable>? _releaseSlot;
    private bool _deactivating;

    /// <summary>Whether a release by the holder may end the lease in memory first (see the class remarks).</summary>
    private bool CanReleaseLazily => _options.ReleaseWriteDelay > TimeSpan.Zero && _waiters.Count == 0 && Current.LeaseIdOnly;

    /// <summary>Ends the current lease in memory now; storage follows within <see cref="LockGrainOptions.ReleaseWriteDelay"/>.</summary>
    private LockState ReleaseLazily(LockState current)
    {
        var released = current.Copy();
        released.Holder = null;
        released.AcquiredAt = null;
        released.ExpiresAt = null;
        _record.SetAheadOfStorage(released);
        _releaseUnwritten = true;
        WakeWatchers();

        if (_releaseSlot is not null)
        {
            // Already in line for a slot (or holding one): its arrival runs the write; a delay now would only keep
            // a slot idle that other locks wait for.
            return released;
        }

        if (_releaseWriteTimer is null)
        {
            // Not interleaving: the write runs as an ordinary turn, so it cannot overlap a grant's write.
            _releaseWriteTimer = this.RegisterGrainTimer(
                WriteUnwrittenReleaseWhenSlotFreeAsync,
                new GrainTimerCreationOptions(_options.ReleaseWriteDelay, Timeout.InfiniteTimeSpan) { Interleave = false, KeepAlive = false });
        }
        else
        {
            _releaseWriteTimer.Change(_options.ReleaseWriteDelay, Timeout.InfiniteTimeSpan);
        }

        return released;
    }

    /// <summary>
    /// The release timer: writes a release that so far lives only in memory if this lock holds a write slot;
    /// otherwise gets in line for one and returns at once, and the slot's arrival fires the timer again.
    /// </summary>
    private async Task WriteUnwrittenReleaseWhenSlotFreeAsync()
    {
        if (_releaseSlot is null && _releaseUnwritten)
        {
            AskForReleaseSlot();
        }

        if (_releaseSlot is { IsCompleted: true })
        {
            await WriteWithReleaseSlotAsync();
        }
    }

    private void AskForReleaseSlot()
    {
        var asked = _deferredReleaseWrites.TakeSlotAsync();
        _releaseSlot = asked;
        if (asked.IsCompleted)
        {
            return; // A slot was free: the caller writes now.
        }

        // Continues on this activation's scheduler: the timer then runs the write in an ordinary turn.
        _ = asked.ContinueWith(_ => WakeReleaseWrite(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
    }

    private void WakeReleaseWrite()
    {
        if (!_deactivating)
        {
            _releaseWriteTimer?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Waits for the slot asked for, writes the release if it is still unwritten, gives the slot back.</summary>
    private async Task WriteWithReleaseSlotAsync()
    {
        using var slot = await _releaseSlot!;
        _releaseSlot = null;
        if (!_releaseUnwritten)
        {
            return; // A later write carried the release already.
        }

        try
        {
            await WriteOrFailClosedAsync(Current, "release");
        }
        catch (LockStorageException)
        {
            // Logged by WriteOrFailClosedAsync, which also reloaded storage's view (the releaser, until its lease
            // ends). Nothing more to do: that only delays the next grant.
        }
    }

    /// <summary>Called after every write attempt: storage and memory agree again (written, or reloaded from storage).</summary>
    private void StorageCaughtUp()
    {
        _releaseUnwritten = false;
        WakeWatchers();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivating = true;
        if (_releaseUnwritten)
        {
            // A graceful end (idle collection, shutdown, rebalancing) leaves storage exact, so the next activation
            // does not wait for the released lease to run out. Nothing else is served any more: waiting here is fine.
            if (_releaseSlot is null)
            {
                AskForReleaseSlot();
            }

            await WriteWithReleaseSlotAsync();
        }
        else if (_releaseSlot is { } unneeded)
        {
            // Give the slot back whenever it comes, whatever becomes of this activation.
            _releaseSlot = null;
            _ = unneeded.ContinueWith(asked => asked.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
