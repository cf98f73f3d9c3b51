namespace LockService.Client;

/// <summary>Creates lock objects by name. Registered by <c>AddLockClient</c>; one per application is enough.</summary>
public interface ILockProvider
{
    /// <summary>A lock object for <paramref name="name"/>. Cheap: nothing is sent until it is acquired.</summary>
    /// <exception cref="ArgumentException">The name or options break a rule; the message names it.</exception>
    DistributedLock CreateLock(string name, LockOptions? options = null);
}
