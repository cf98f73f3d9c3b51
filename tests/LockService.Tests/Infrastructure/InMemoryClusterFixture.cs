using LockService.Testing;
using LockService.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Infrastructure;

/// <summary>The development configuration: in-memory state and reminders, behind a storage that tests can make fail.</summary>
public sealed class InMemoryClusterFixture : LockClusterFixture
{
    /// <summary>A small wait-queue bound, so the bound itself can be tested without 10,000 calls.</summary>
    public const int MaxWaiters = 1000;

    public override string Backend => "in-memory";

    protected override Task ConfigureAsync(TestClusterBuilder builder)
    {
        builder.AddSiloBuilderConfigurator<InMemorySiloConfigurator>();
        return Task.CompletedTask;
    }
}

/// <summary>A silo of the development configuration; also used by tests that need a cluster of their own.</summary>
public sealed class InMemorySiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder silo)
    {
        LockClusterFixture.UseTestClock(silo);
        silo.AddMemoryGrainStorage(FaultInjectingGrainStorage.InnerName);
        silo.Services.AddKeyedSingleton<IGrainStorage>(
            LockGrainServices.StorageProviderName,
            (services, _) => new FaultInjectingGrainStorage(services.GetRequiredKeyedService<IGrainStorage>(FaultInjectingGrainStorage.InnerName)));
        silo.UseInMemoryReminderService();
        silo.AddIncomingGrainCallFilter<GrainCallArrivals>();
        silo.AddLockGrains(options => options.MaxWaiters = InMemoryClusterFixture.MaxWaiters);
        silo.AddSemaphoreGrains();
        silo.AddWorkQueueGrains();
    }
}

[CollectionDefinition(Name)]
public sealed class InMemoryClusterCollection : ICollectionFixture<InMemoryClusterFixture>
{
    public const string Name = "in-memory cluster";
}
