namespace LockService.Grains;

/// <summary>One caller waiting for a lock, and the answer it is waiting for.</summary>
internal sealed class Waiter(string owner, TimeSpan ttl)
{
    public string Owner { get; } = owner;

    public TimeSpan Ttl { get; } = ttl;

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
}

/// <summary>
/// The first-come, first-served queue of one lock, with lookup by owner so a retried wait call joins its earlier
/// place instead of queuing twice. Lives in the activation only: waiters are live calls, which end with it.
/// </summary>
internal sealed class WaitQueue
{
    private readonly LinkedList<Waiter> _order = new();
    private readonly Dictionary<string, LinkedListNode<Waiter>> _byOwner = new(StringComparer.Ordinal);

    public int Count => _order.Count;

    /// <summary>
    /// The first waiter that is listening. Detached waiters are passed over (nobody would receive their grant) but
    /// keep their place until <see cref="DropDetached"/> removes them.
    /// </summary>
    public Waiter? NextListening()
    {
        foreach (var waiter in _order)
        {
            if (waiter.DetachedAt is null)
            {
                return waiter;
            }
        }

        return null;
    }

    /// <summary>Drops waiters detached for longer than <paramref name="grace"/>: their callers are gone or gave up.</summary>
    public void DropDetached(TimeSpan grace)
    {
        var cutoff = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(grace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        for (var node = _order.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.DetachedAt is { } detachedAt && detachedAt < cutoff)
            {
                Remove(node.Value);
                node.Value.Outcome.TrySetResult(null);
            }

            node = next;
        }
    }

    public bool TryGet(string owner, out Waiter waiter)
    {
        if (_byOwner.TryGetValue(owner, out var node))
        {
            waiter = node.Value;
            return true;
        }

        waiter = null!;
        return false;
    }

    public Waiter Enqueue(string owner, TimeSpan ttl)
    {
        var waiter = new Waiter(owner, ttl);
        _byOwner.Add(owner, _order.AddLast(waiter));
        return waiter;
    }

    public void Remove(Waiter waiter)
    {
        if (_byOwner.Remove(waiter.Owner, out var node))
        {
            _order.Remove(node);
        }
    }
}
