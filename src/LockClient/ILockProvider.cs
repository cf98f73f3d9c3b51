namespace LockService.Client;

/// <summary>Creates lock objects by name. Registered by <c>AddLockClient</c>; one per application is enough.</summary>
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
}
