namespace LockService.Bench.Peers;

/// <summary>
/// One way of taking a slot of a named counting semaphore, as scenario (f) sees a peer: like <see cref="IBenchLock"/>,
/// every peer runs through this one call and differs only in what happens behind it.
/// </summary>
internal interface IBenchSemaphore
{
    /// <summary>
    /// Waits the peer's own way (polling, or queued in the semaphore grain) for at most <paramref name="timeout"/> for
    /// one of <paramref name="maxCount"/> slots. <see langword="null"/> when the wait timed out.
    /// </summary>
    ValueTask<IBenchHandle?> AcquireAsync(string semaphoreName, int maxCount, TimeSpan ttl, TimeSpan timeout);
}
