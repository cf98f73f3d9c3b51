using LockService.Testing;
using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Storage;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Wraps the real storage and, for grains a test names, fails the next writes: with a storage conflict or an outage.
/// Everything else passes through untouched.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    public const string InnerName = "locks-inner";

    private static readonly ConcurrentDictionary<GrainId, Func<Exception>> PendingFaults = new();

    /// <summary>The next write of <paramref name="lockName"/> throws what <paramref name="fault"/> makes.</summary>
    public static void FailNextWrite(string lockName, Func<Exception> fault) => PendingFaults[GrainId.Create("lock", lockName)] = fault;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        PendingFaults.TryRemove(grainId, out var fault) ? Task.FromException(fault()) : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
