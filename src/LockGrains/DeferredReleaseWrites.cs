namespace LockService.Grains;

/// <summary>
/// Bounds how many lazily durable release writes (<see cref="LockGrainOptions.ReleaseWriteDelay"/>) a silo runs at
/// once. Each one falls due a fixed delay after its release, so a burst of releases (100,000 locks let go together)
/// becomes a burst of writes with no caller to slow it down: unbounded, they queue for the connection pool, time out
/// there (fail closed, but every one reloads the lock from storage, which queues again) and hold the silo's cores for
/// a minute. In a line of a few at a time they drain at the database's pace and the silo keeps answering. Grants and
/// synchronous releases never wait here: their callers already pace them.
/// </summary>
public sealed class DeferredReleaseWrites
{
    /// <summary>Deferred writes in flight per silo: enough to keep PostgreSQL busy, few enough to leave it room.</summary>
    public const int MaxConcurrent = 8;

    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>Runs <paramref name="write"/> once a slot is free.</summary>
    public async Task RunAsync(Func<Task> write)
    {
        using var slot = await TakeSlotAsync();
        await write();
    }

    /// <summary>
    /// Waits in line for a slot and returns it; disposing it gives it back. For a caller that must not hold anything
    /// else while it waits (a grain turn), and runs its write once it has the slot.
    /// </summary>
    public async Task<IDisposable> TakeSlotAsync()
    {
        await _slots.WaitAsync();
        return new Slot(_slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _returned;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
