using LockService.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>Registers the lock grains on a silo.</summary>
public static class LockGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the lock grains' options (validated at start) and the clock that decides lease expiry. The silo must
    /// also provide a grain storage named <see cref="LockGrainServices.StorageProviderName"/> and a reminder service.
    /// Lock state is stored with the System.Text.Json serializer: rows carry no .NET type names, so renaming or
    /// moving a class never makes stored locks unreadable.
    /// </summary>
    public static ISiloBuilder AddLockGrains(this ISiloBuilder builder, Action<LockGrainOptions>? configure = null)
    {
        var options = builder.Services.AddOptions<LockGrainOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LockGrainOptions>, LockGrainOptionsValidator>());
        builder.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<LockGrainOptions>>((collection, locks) =>
        {
            if (locks.Value.IdleDeactivationAge is { } idle)
            {
                collection.ClassSpecificCollectionAge[typeof(LockGrain).FullName!] = idle;
            }
        });
        builder.UseSystemTextJsonGrainStorageSerializer();
        builder.Services.TryAddKeyedSingleton(LockGrainServices.ClockKey, TimeProvider.System);
        builder.Services.TryAddSingleton<DeferredReleaseWrites>();
        return builder;
    }
}
