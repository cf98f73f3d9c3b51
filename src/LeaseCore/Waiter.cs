namespace LockService.Leases;

/// <summary>One caller waiting for a lease, and the answer (<typeparamref name="TResult"/>) it is waiting for.</summary>
/// <param name="key">What identifies the waiter in its queue: the owner for a lock, the lease id's hash for a semaphore.</param>
/// <param name="owner">The owner label the lease is granted to.</param>
/// <param name="ttl">The lease the waiter asked for.</param>
/// <param name="place">Its place in the queue.</param>
internal sealed class Waiter<TResult>(string key, string owner, TimeSpan ttl, long place)
    where TResult : class
{
    public string Key { get; } = key;

    public string Owner { get; } = owner;

    public TimeSpan Ttl { get; } = ttl;

    /// <summary>Its place in the queue: smaller is earlier. Kept while detached, so a returning caller is not sent to the back.</summary>
    public long Place { get; } = place;

    /// <summary>Completed with the durable grant, with <see langword="null"/> when the waiter gave up, or with the storage error.</summary>
    public TaskCompletionSource<TResult?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A grant to this waiter is being written; its outcome decides what the waiter gets, even if it times out meanwhile.</summary>
    public bool Granting { get; set; }

    /// <summary>How many wait calls of this waiter are open right now.</summary>
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
