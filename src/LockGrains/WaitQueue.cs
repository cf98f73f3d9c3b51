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

    public Waiter? Head => _order.First?.Value;

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
