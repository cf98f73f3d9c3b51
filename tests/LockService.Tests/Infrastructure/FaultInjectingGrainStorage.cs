using LockService.Grains;
using LockService.Testing;
using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Storage;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Wraps the real storage and, for grains a test names, fails the next writes (with a storage conflict or an
/// outage) or holds them open until the test lets them through or fails them. Everything else passes through.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    public const string InnerName = "locks-inner";

    private static readonly ConcurrentDictionary<GrainId, Func<Exception>> PendingFaults = new();
    private static readonly ConcurrentDictionary<GrainId, HeldWrites> Held = new();
    private static readonly ConcurrentDictionary<GrainId, int> Writes = new();

    /// <summary>How many writes under <paramref name="storageId"/> have been attempted so far (held, failed or done).</summary>
    public static int WritesOf(GrainId storageId) => Writes.GetValueOrDefault(storageId);

    /// <summary>The next write of <paramref name="lockName"/> throws what <paramref name="fault"/> makes.</summary>
    public static void FailNextWrite(string lockName, Func<Exception> fault) => FailNextWrite(LockStorageKeys.For(lockName), fault);

    /// <summary>The next write under <paramref name="storageId"/> (a semaphore's, say) throws what <paramref name="fault"/> makes.</summary>
    public static void FailNextWrite(GrainId storageId, Func<Exception> fault) => PendingFaults[storageId] = fault;

    /// <summary>
    /// Every write of <paramref name="lockName"/> from now on waits at a gate (before reaching storage) until the test
    /// opens it or fails it; see <see cref="HeldWrites"/>.
    /// </summary>
    public static HeldWrites HoldWrites(string lockName) => HoldWrites(LockStorageKeys.For(lockName));

    /// <summary>Every write under <paramref name="storageId"/> (a queue segment's, say) from now on waits at a gate; see <see cref="HeldWrites"/>.</summary>
    public static HeldWrites HoldWrites(GrainId storageId)
    {
        var id = storageId;
        var held = new HeldWrites(() => Held.TryRemove(id, out _));
        Held[id] = held;
        return held;
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Writes.AddOrUpdate(grainId, 1, (_, count) => count + 1);
        if (Held.TryGetValue(grainId, out var held))
        {
            await held.PassAsync();
        }

        if (PendingFaults.TryRemove(grainId, out var fault))
        {
            throw fault();
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

/// <summary>The writes of one lock, held open at a gate: the test sees them arrive, then fails them or lets them through.</summary>
public sealed class HeldWrites(Action stopHolding)
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Completes when the first write has reached the gate.</summary>
    public Task Arrived => _arrived.Task;

    /// <summary>How many writes have reached the gate so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Fails every held write, and every later one until <see cref="Open"/>, with <paramref name="fault"/>.</summary>
    public void Fail(Exception fault) => _gate.TrySetException(fault);

    /// <summary>Stops holding: held writes (unless failed already) and later ones reach storage.</summary>
    public void Open()
    {
        stopHolding();
        _gate.TrySetResult();
    }

    internal Task PassAsync()
    {
        Interlocked.Increment(ref _count);
        _arrived.TrySetResult();
        return _gate.Task;
    }
}
