using LockService.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Configuration.Overrides;
using Orleans.Storage;

namespace Orleans.Hosting;

/// <summary>Registers <see cref="BatchedGrainStorage"/> on a silo.</summary>
public static class BatchedGrainStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql, which the stock provider inside needs.</summary>
    private const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Adds the grain storage <paramref name="name"/>: Orleans' ADO.NET grain storage on the PostgreSQL database of
    /// <paramref name="connectionString"/> (prepared from <c>sql/</c>), whose writes share commits between grains. The
    /// stock provider and the shared commits use one connection pool (one <see cref="NpgsqlDataSource"/>).
    /// </summary>
    public static ISiloBuilder AddBatchedAdoNetGrainStorage(this ISiloBuilder builder, string name, string connectionString, Action<BatchedGrainStorageOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var services = builder.Services;
        services.AddKeyedSingleton(name, (_, _) => NpgsqlDataSource.Create(connectionString));
        services.AddAdoNetGrainStorage(name, (OptionsBuilder<AdoNetGrainStorageOptions> stock) => stock.Configure<IServiceProvider>((options, provider) =>
        {
            options.Invariant = NpgsqlInvariant;
            options.DataSource = provider.GetRequiredKeyedService<NpgsqlDataSource>(name);
        }));

        var batching = services.AddOptions<BatchedGrainStorageOptions>(name).ValidateOnStart();
        if (configure is not null)
        {
            batching.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchedGrainStorageOptions>, BatchedGrainStorageOptionsValidator>());
        services.AddKeyedSingleton(name, (_, _) => new GroupCommitStatistics(name));

        // Registered after the stock provider: the storage resolved under this name, and the lifecycle participant the
        // stock registration resolves by name, are now this one, which hands the lifecycle on to the stock provider.
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, _) =>
        {
            var committer = new GroupCommitter(
                provider.GetRequiredKeyedService<NpgsqlDataSource>(name),
                provider.GetRequiredService<IOptionsMonitor<BatchedGrainStorageOptions>>().Get(name),
                provider.GetRequiredKeyedService<GroupCommitStatistics>(name),
                provider.GetRequiredService<ILogger<BatchedGrainStorage>>());
            return new BatchedGrainStorage(AdoNetGrainStorageFactory.Create(provider, name), committer, name, provider.GetProviderClusterOptions(name).Value.ServiceId);
        });
        return builder;
    }
}
