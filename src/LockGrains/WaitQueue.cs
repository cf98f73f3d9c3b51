namespace LockService.Grains;

/// <summary>One caller waiting for a lock, and the answer it is waiting for.</summary>
internal sealed class Waiter(string owner, TimeSpan ttl, long place)
{
    public string Owner { get; } = owner;

    public TimeSpan Ttl { get; } = ttl;

    /// <summary>Its place in the queue: smaller is earlier. Kept while detached, so a returning caller is not sent to the back.</summary>
    public long Place { get; } = place;

    /// <summary>Completed with the durable grant, with <see langword="null"/> when the waiter gave up, or with the storage error.</summary>
    public TaskCompletionSource<LockResult?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A grant to this waiter is being written; its outcome decides what the waiter gets, even if it times out meanwhile.</summary>
    public bool Granting { get; set; }

    /// <summary>How many wait calls of this owner are open right now.</summary>
    public int OpenCalls { get; set; }

    /// <summary>
    /// When the last open wait call ended without a grant (<see cref="System.Diagnostics.Stopwatch"/> ticks), or null
    /// while a call is open. A detached waiter keeps its place for a short grace, so the caller's next wait call
    /// continues where it was; it is never granted while detached, since nobody would receive the answer.
    /// </summary>
    public long? DetachedAt { get; set; }

    /// <summary>Still in the queue (not granted, given up or dropped).</summary>
    internal bool Queued { get; set; } = true;

    /// <summary>Has an entry in the queue's listening heap (possibly a stale one, from before it detached).</summary>
    internal bool InListeningHeap { get; set; }
}

/// <summary>
/// The first-come, first-served queue of one lock, with lookup by owner so a retried wait call joins its earlier
/// place instead of queuing twice. Lives in the activation only: waiters are live calls, which end with it.
/// </summary>
/// <remarks>
/// Every call of a lock asks the queue for its next listening waiter and drops the long-detached ones, so neither may
/// walk the queue: at 10,000 waiters that would make a queue's life quadratic. Listening waiters sit in a heap by
/// place, detachments in a line by time; both are cleaned lazily, so each entry is looked at a bounded number of times
/// after it is added (amortized O(1) entries per call; the heap adds O(log n) per entry).
/// </remarks>
internal sealed class WaitQueue
{
    private readonly Dictionary<string, Waiter> _byOwner = new(StringComparer.Ordinal);

    // Listening waiters by place. A waiter that detached or left keeps its entry until it reaches the top.
    private readonly PriorityQueue<Waiter, long> _listening = new();

    // Detachments in the order they happened (so by time); an entry whose waiter listened again or left is stale.
    private readonly Queue<(Waiter Waiter, long DetachedAt)> _detachments = new();

    private long _nextPlace;

    public int Count => _byOwner.Count;

    /// <summary>How many queue entries the queue has looked at in total: the measure of its work, for tests.</summary>
    internal long WaitersVisited { get; private set; }

    /// <summary>
    /// The first waiter that is listening. Detached waiters are passed over (nobody would receive their grant) but
    /// keep their place until <see cref="DropDetached"/> removes them.
    /// </summary>
    public Waiter? NextListening()
    {
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

    public bool TryGet(string owner, out Waiter waiter) => _byOwner.TryGetValue(owner, out waiter!);

    public Waiter Enqueue(string owner, TimeSpan ttl)
    {
        var waiter = new Waiter(owner, ttl, _nextPlace++);
        _byOwner.Add(owner, waiter);
        AddListening(waiter);
        return waiter;
    }

    /// <summary>The waiter's wait call ended without a grant: it keeps its place, but is not granted until it listens again.</summary>
    public void Detach(Waiter waiter)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        waiter.DetachedAt = now;
        _detachments.Enqueue((waiter, now));
    }

    /// <summary>A wait call of the waiter is open (again): it can be granted, in its old place.</summary>
    public void Listen(Waiter waiter)
    {
        waiter.DetachedAt = null;
        if (!waiter.InListeningHeap)
        {
            AddListening(waiter);
        }
    }

    public void Remove(Waiter waiter)
    {
        if (waiter.Queued && _byOwner.Remove(waiter.Owner))
        {
            waiter.Queued = false;
        }
    }

    private void AddListening(Waiter waiter)
    {
        _listening.Enqueue(waiter, waiter.Place);
        waiter.InListeningHeap = true;
    }
}
