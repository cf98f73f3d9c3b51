namespace LockService.Bench.Peers;

/// <summary>
/// One way of taking a named lock: the only thing a scenario knows about a peer, so every peer runs through the
/// same client code path and differs only in what happens behind these two calls.
/// </summary>
internal interface IBenchLock : IAsyncDisposable
{
    /// <summary>The peer's name in the results: pg-row, pg-advisory, redis, orleans-1, orleans-3, or a variant (orleans-1-eager).</summary>
    string Name { get; }

    /// <summary>
    /// How the peer is set up, setting by setting (library, connection tuning, silo settings), for the run's record
    /// (<c>configuration</c> in <c>latest.json</c>): a figure is only comparable with the settings it was measured with.
    /// </summary>
    IReadOnlyDictionary<string, string> Configuration { get; }

    /// <summary>Resident memory of the peer's server processes that this run started (the silos), or <see langword="null"/>.</summary>
    long? ServerResidentBytes() => null;

    /// <summary>One try, no waiting. <see langword="null"/> when someone else holds the lock.</summary>
    ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl);

    /// <summary>
    /// Waits the peer's own way (in the server, by polling, or queued in the lock grain) for at most
    /// <paramref name="timeout"/>. <see langword="null"/> when the wait timed out.
    /// </summary>
    ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout);

    /// <summary>
    /// The counting semaphore of the same backend, on this peer's connection, for scenario (f); <see langword="null"/>
    /// when the backend's library offers none (DistributedLock.Postgres has no semaphore).
    /// </summary>
    ValueTask<IBenchSemaphore?> CreateSemaphoreAsync() => ValueTask.FromResult<IBenchSemaphore?>(null);
}

/// <summary>A held lock, or a held slot of a semaphore, of some peer.</summary>
internal interface IBenchHandle
{
    /// <summary>The grant's fencing token, for peers that give one (this service); <see langword="null"/> for the others.</summary>
    long? FencingToken => null;

    /// <summary>The semaphore slot granted, for peers that name one; <see langword="null"/> for locks and the others.</summary>
    int? Slot => null;

    ValueTask ReleaseAsync();
}
