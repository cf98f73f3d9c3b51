namespace LockService.Client;

/// <summary>
/// One acquisition attempt of a semaphore: the grain, the owner label and the one lease id it presents on every call.
/// A class, not a record, so that no generated <c>ToString</c> ever prints the lease id into a log.
/// </summary>
internal sealed class PendingLease(ISemaphoreGrain grain, string owner, string leaseId)
{
    public ISemaphoreGrain Grain { get; } = grain;

    public string Owner { get; } = owner;

    public string LeaseId { get; } = leaseId;
}
