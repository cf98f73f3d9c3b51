namespace LockService.Client;

/// <summary>Creates lock, semaphore and work queue objects by name. Registered by <c>AddLockClient</c>; one per application is enough.</summary>
public interface ILockProvider
{
    /// <summary>A lock object for <paramref name="name"/>. Cheap: nothing is sent until it is acquired.</summary>
    /// <exception cref="ArgumentException">The name or options break a rule; the message names it.</exception>
    DistributedLock CreateLock(string name, LockOptions? options = null);

    /// <summary>
    /// A counting semaphore object for <paramref name="name"/> with at most <paramref name="maxCount"/> holders. Cheap:
    /// nothing is sent until it is acquired. Every client of one semaphore must use the same limit.
    /// </summary>
    /// <exception cref="ArgumentException">The name or options break a rule; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is below 1 (the silo refuses one above its cap, by default <see cref="SemaphoreArguments.DefaultMaxCountCap"/>).</exception>
    DistributedSemaphore CreateSemaphore(string name, int maxCount, LockOptions? options = null);

    /// <summary>
    /// A work queue object for <paramref name="name"/>. Cheap: nothing is sent until tasks are enqueued or claimed.
    /// <paramref name="options"/> apply to each claim's lease (<see cref="LockOptions.Ttl"/>, renewal, safety margin,
    /// maximum hold time); <see cref="LockOptions.Owner"/> is the worker label recorded with each claim and counted in
    /// the queue's statistics (default: host name, process id and a random part, one per provider).
    /// </summary>
    /// <exception cref="ArgumentException">The name or options break a rule; the message names it.</exception>
    WorkQueue CreateQueue(string name, LockOptions? options = null);
}
