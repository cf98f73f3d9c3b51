using LockService.Testing;
using LockService.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// One in-process test cluster of two silos, shared by every test of a collection. Subclasses choose the backend;
/// the test cases are the same for each.
/// </summary>
public abstract class LockClusterFixture : IAsyncLifetime
{
    private readonly string _clockId = Guid.NewGuid().ToString("N");

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>The clock the lock grains of this cluster decide expiry by; tests move it instead of sleeping.</summary>
    public LockTestClock Clock => TestClocks.For(_clockId);

    public abstract string Backend { get; }

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.Options.ServiceId = $"locks-test-{Guid.NewGuid():N}";
        builder.Properties[TestClocks.ConfigurationKey] = _clockId;
        await ConfigureAsync(builder);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    protected abstract Task ConfigureAsync(TestClusterBuilder builder);

    /// <summary>What storage holds for a lock right now, read through the silo's own storage provider.</summary>
    public Task<(LockState State, string? ETag, bool Exists)> ReadStoredAsync(string lockName) =>
        ReadStoredAsync((InProcessSiloHandle)Cluster.GetActiveSilos().First(), lockName);

    /// <summary>What storage holds for a lock right now, read through <paramref name="silo"/>'s storage provider.</summary>
    public static async Task<(LockState State, string? ETag, bool Exists)> ReadStoredAsync(InProcessSiloHandle silo, string lockName)
    {
        var storage = silo.SiloHost!.Services.GetRequiredKeyedService<IGrainStorage>(LockGrainServices.StorageProviderName);
        var state = new GrainState<LockState>(new LockState());
        await storage.ReadStateAsync(LockGrainServices.StateName, LockStorageKeys.For(lockName), state);
        return (state.State ?? new LockState(), state.ETag, state.RecordExists);
    }

    /// <summary>Deactivates the lock's activation (wherever it lives) so the next call loads it from storage.</summary>
    public Task DeactivateAsync(string lockName) =>
        Grains.GetGrain<ILockGrain>(lockName).Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle().AsTask();

    /// <summary>Registers the lock clock for a silo; called by the silo configurators.</summary>
    internal static void UseTestClock(ISiloBuilder silo) =>
        silo.Services.AddKeyedSingleton<TimeProvider>(LockGrainServices.ClockKey, TestClocks.For(silo.Configuration[TestClocks.ConfigurationKey]!));
}
