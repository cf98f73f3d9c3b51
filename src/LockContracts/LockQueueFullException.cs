namespace LockService;

/// <summary>
/// The lock already has as many waiters as its silo allows (default 10,000). Refused at once, so an overload is a
/// fast clear error rather than a pile of time-outs.
/// </summary>
[GenerateSerializer, Alias("LockService.LockQueueFullException")]
public sealed class LockQueueFullException : Exception
{
    /// <summary>Creates the exception with a message naming the lock and the bound.</summary>
    public LockQueueFullException(string message) : base(message)
    {
    }
}
