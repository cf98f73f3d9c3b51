using LockService.Client;
using LockService.Grains;
using LockService.Silo;
using LockService.Storage;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace LockService.Tests.Storage;

/// <summary>Shared commits are on by default in a durable silo, and <c>Storage:BatchWrites=false</c> turns them off.</summary>
public sealed class BatchWritesSettingTests
{
    [Theory]
    [InlineData(new string[0], true, 4, 64)]
    [InlineData(new[] { "--Storage:BatchWrites", "false" }, false, 4, 64)]
    [InlineData(new[] { "--Storage:MaxBatchesInFlight", "2", "--Storage:MaxBatchSize", "16" }, true, 2, 16)]
    public void The_storage_settings_come_from_the_Storage_section(string[] arguments, bool batchWrites, int inFlight, int batchSize)
    {
        var options = new LockSiloOptions();
        new ConfigurationBuilder().AddLockSiloSources(Path.GetTempPath(), arguments).Build().Bind(options);

        Assert.Equal((batchWrites, inFlight, batchSize), (options.Storage.BatchWrites, options.Storage.MaxBatchesInFlight, options.Storage.MaxBatchSize));
    }

    [Fact]
    public void Batch_settings_out_of_range_fail_validation_naming_the_setting()
    {
        var options = new LockSiloOptions { Storage = { MaxBatchSize = 0, MaxBatchesInFlight = 65 } };

        var result = new LockSiloOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Storage:MaxBatchSize must be between 1 and 1000 (was 0).", result.FailureMessage);
        Assert.Contains("Storage:MaxBatchesInFlight must be between 1 and 64 (was 65).", result.FailureMessage);
    }

    [Theory]
    [InlineData(true, typeof(BatchedGrainStorage))]
    [InlineData(false, typeof(AdoNetGrainStorage))]
    public void The_lock_storage_is_the_batched_one_unless_turned_off(bool batchWrites, Type expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            // Nothing connects until the silo starts: resolving the provider is enough to see which one it is.
            silo.AddLockPostgresStorage("Host=127.0.0.1;Database=unused", new LockStorageOptions { BatchWrites = batchWrites });
            silo.AddLockGrains();
        });
        using var host = builder.Build();

        Assert.IsType(expected, host.Services.GetRequiredKeyedService<IGrainStorage>(LockGrainServices.StorageProviderName));
    }

    [Fact]
    public async Task A_silo_process_with_batch_writes_off_says_so_and_stores_its_grants()
    {
        var database = await TestDatabase.CreateAsync("locks_unbatched");
        var (clusterId, serviceId) = ($"unbatched-{Guid.NewGuid():N}", $"unbatched-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(database, clusterId, serviceId, environment: new Dictionary<string, string> { ["LOCKSILO_Storage__BatchWrites"] = "false" });
        await silo.WaitUntilReadyAsync();
        Assert.Contains("lock state writes in one commit per write (Storage:BatchWrites=false)", silo.Output);

        var name = LockNames.Unique("unbatched");
        await using var client = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(silo.Gateway);
            (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
        });
        var grant = await client.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", TimeSpan.FromMinutes(1));

        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal(1, await TestDatabase.ScalarAsync<int>(database,
            "SELECT version FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name", ("service", serviceId), ("name", name)));
    }
}
