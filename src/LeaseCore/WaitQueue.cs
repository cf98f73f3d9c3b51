namespace LockService.Leases;

/// <summary>
/// The first-come, first-served queue of one lock or semaphore, with lookup by key (owner or lease id) so a retried
/// wait call joins its earlier place instead of queuing twice. Lives in the activation only: waiters are live calls, which end with it.
/// </summary>
/// <remarks>
/// Every call of a lease asks the queue for its next listening waiter and drops the long-detached ones, so neither may
/// walk the queue: at 10,000 waiters that would make a queue's life quadratic. Listening waiters sit in a heap by
/// place, detachments in a line by time; both are cleaned lazily, so each entry is looked at a bounded number of times
/// after it is added (amortized O(1) entries per call; the heap adds O(log n) per entry).
/// The three collections are made when first needed: most activations (every lock that is only held and released)
/// never queue anyone, and an empty queue then costs one small object instead of four.
/// </remarks>
internal sealed class WaitQueue<TResult>
    where TResult : class
{
    /// <summary>How long a waiter whose wait call ended keeps its place for the caller's next call.</summary>
    public static readonly TimeSpan DetachedGrace = TimeSpan.FromSeconds(10);

    private Dictionary<string, Waiter<TResult>>? _byKey;

    // Listening waiters by place. A waiter that detached or left keeps its entry until it reaches the top.
    private PriorityQueue<Waiter<TResult>, long>? _listening;

    // Detachments in the order they happened (so by time); an entry whose waiter listened again or left is stale.
    private Queue<(Waiter<TResult> Waiter, long DetachedAt)>? _detachments;

    private long _nextPlace;

    public int Count => _byKey?.Count ?? 0;

    /// <summary>How many queue entries the queue has looked at in total: the measure of its work, for tests.</summary>
    internal long WaitersVisited { get; private set; }

    /// <summary>
    /// The first waiter that is listening. Detached waiters are passed over (nobody would receive their grant) but
    /// keep their place until <see cref="DropDetached"/> removes them.
    /// </summary>
    public Waiter<TResult>? NextListening()
    {
        if (_listening is null)
        {
            return null;
        }

        while (_listening.TryPeek(out var waiter, out _))
        {
            WaitersVisited++;
            if (waiter.Queued && waiter.DetachedAt is null)
            {
                return waiter;
            }

            _listening.Dequeue();
            waiter.InListeningHeap = false;
        }

        return null;
    }

    /// <summary>Drops waiters detached for longer than <paramref name="grace"/>: their callers are gone or gave up.</summary>
    public void DropDetached(TimeSpan grace)
    {
        if (_detachments is null)
        {
            return;
        }

        var cutoff = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(grace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (_detachments.TryPeek(out var detachment))
        {
            WaitersVisited++;
            var (waiter, detachedAt) = detachment;
            var stale = !waiter.Queued || waiter.DetachedAt != detachedAt;
            if (!stale && detachedAt >= cutoff)
            {
                return;
            }

            _detachments.Dequeue();
            if (!stale)
            {
                Remove(waiter);
                waiter.Outcome.TrySetResult(null);
            }
        }
    }

    public bool TryGet(string key, out Waiter<TResult> waiter)
    {
        if (_byKey is null)
        {
            waiter = null!;
            return false;
        }

        return _byKey.TryGetValue(key, out waiter!);
    }

    /// <summary>
    /// A caller that gave up (an abandon, a withdrawal): takes the waiter queued under <paramref name="key"/> out of the
    /// queue and ends its wait with no result. False when none is queued under it (a waiter being granted is not).
    /// </summary>
    public bool TryWithdraw(string key)
    {
        if (!TryGet(key, out var waiter))
        {
            return false;
        }

        Remove(waiter);
        waiter.Outcome.TrySetResult(null);
        return true;
    }

    /// <summary>Puts a new waiter at the back, keyed by its owner (a lock's waiters); the owner must not be queued already.</summary>
    public Waiter<TResult> Enqueue(string owner, TimeSpan ttl) => Enqueue(owner, owner, ttl);

    /// <summary>Puts a new waiter at the back; <paramref name="key"/> must not be queued already (see <see cref="TryGet"/>).</summary>
    public Waiter<TResult> Enqueue(string key, string owner, TimeSpan ttl)
    {
        var waiter = new Waiter<TResult>(key, owner, ttl, _nextPlace++);
        (_byKey ??= new(StringComparer.Ordinal)).Add(key, waiter);
        AddListening(waiter);
        return waiter;
    }

    /// <summary>The waiter's wait call ended without a grant: it keeps its place, but is not granted until it listens again.</summary>
    public void Detach(Waiter<TResult> waiter)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        waiter.DetachedAt = now;
        (_detachments ??= new()).Enqueue((waiter, now));
    }

    /// <summary>A wait call of the waiter is open (again): it can be granted, in its old place.</summary>
    public void Listen(Waiter<TResult> waiter)
    {
        waiter.DetachedAt = null;
        if (!waiter.InListeningHeap)
        {
            AddListening(waiter);
        }
    }

    /// <summary>
    /// Puts a waiter that was taken out to be served back at its old place (its grant found nothing to grant): it is
    /// served before everyone who queued after it. Its key must not have been queued again meanwhile.
    /// </summary>
    public void Restore(Waiter<TResult> waiter)
    {
        if (waiter.Queued || !(_byKey ??= new(StringComparer.Ordinal)).TryAdd(waiter.Key, waiter))
        {
            return;
        }

        waiter.Queued = true;
        waiter.DetachedAt = null;
        if (!waiter.InListeningHeap)
        {
            AddListening(waiter);
        }
    }

    public void Remove(Waiter<TResult> waiter)
    {
        if (waiter.Queued && _byKey is not null && _byKey.Remove(waiter.Key))
        {
            waiter.Queued = false;
        }
    }

    private void AddListening(Waiter<TResult> waiter)
    {
        (_listening ??= new()).Enqueue(waiter, waiter.Place);
        waiter.InListeningHeap = true;
    }
}
