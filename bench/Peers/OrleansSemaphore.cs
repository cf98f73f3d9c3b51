namespace LockService.Bench.Peers;

/// <summary>
/// This service's semaphore grain, called directly (<see cref="ISemaphoreGrain.Acquire"/> with a wait: queued first
/// come, first served in the grain, which pushes the grant to the head of the queue), on the lock peer's cluster
/// connection. Each acquisition has a lease id of its own; every grant is durable before it is returned and carries a
/// slot and a fencing token.
/// </summary>
internal sealed class OrleansSemaphore(IGrainFactory grains, string ownerPrefix) : IBenchSemaphore
{
    private long _acquisitions;

    public async ValueTask<IBenchHandle?> AcquireAsync(string semaphoreName, int maxCount, TimeSpan ttl, TimeSpan timeout)
    {
        var grain = grains.GetGrain<ISemaphoreGrain>(semaphoreName);
        var leaseId = LeaseIds.New();
        var owner = $"{ownerPrefix}:{Interlocked.Increment(ref _acquisitions)}";
        var result = await grain.Acquire(owner, leaseId, maxCount, ttl, timeout);
        if (result.Acquired)
        {
            return new Handle(grain, leaseId, result.Slot, result.FencingToken);
        }

        // The wait timed out: withdraw whatever may have raced with it, as the contract asks.
        await grain.Abandon(leaseId);
        return null;
    }

    private sealed class Handle(ISemaphoreGrain grain, string leaseId, int? slot, long fencingToken) : IBenchHandle
    {
        public long? FencingToken => fencingToken;

        public int? Slot => slot;

        public async ValueTask ReleaseAsync() => await grain.Release(leaseId);
    }
}
