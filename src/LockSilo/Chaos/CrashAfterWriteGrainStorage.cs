using System.Diagnostics;
using Orleans.Runtime;
using Orleans.Storage;

namespace LockService.Silo.Chaos;

/// <summary>
/// Chaos testing only: kills this silo process (SIGKILL, no goodbye) right after the lock state of one named lock has
/// been written and before the grain can answer, so the suite can prove that a client retrying with the same owner
/// finds the grant that landed. Never registered unless <see cref="LockSiloOptions.ChaosCrashAfterWriteOf"/> is set.
/// </summary>
/// <remarks>
/// Orleans initialises a storage provider by resolving it under its name as a lifecycle participant, so the wrapper
/// passes that role on to the real provider.
/// </remarks>
internal sealed class CrashAfterWriteGrainStorage(IGrainStorage inner, string lockName) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly GrainId _target = GrainId.Create("lock", lockName);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (grainId == _target)
        {
            Console.Error.WriteLine($"CHAOS: state of lock '{lockName}' written; killing this silo before it replies.");
            Process.GetCurrentProcess().Kill();
        }
    }

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
