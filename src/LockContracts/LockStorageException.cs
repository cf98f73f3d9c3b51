namespace LockService;

/// <summary>
/// The lock's durable state could not be written or was changed by someone else (for example a duplicate
/// activation), so the call failed closed: nothing was granted, extended or released by it. The outcome of the
/// storage write may be unknown; retry with the same owner to find a grant that did land.
/// </summary>
[GenerateSerializer, Alias("LockService.LockStorageException")]
public sealed class LockStorageException : Exception
{
    /// <summary>Creates the exception with a message that names the lock and the storage error.</summary>
    public LockStorageException(string message) : base(message)
    {
    }
}
