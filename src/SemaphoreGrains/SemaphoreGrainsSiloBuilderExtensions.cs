using LockService.Grains;
using LockService.Semaphores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>Registers the semaphore grains on a silo.</summary>
public static class SemaphoreGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the semaphore grains beside the lock grains (<see cref="LockGrainsSiloBuilderExtensions.AddLockGrains"/>,
    /// called here too if it was not already): they share the lock's options, clock, storage provider and reminder
    /// service, and store their records under a state name of their own.
    /// </summary>
    public static ISiloBuilder AddSemaphoreGrains(this ISiloBuilder builder)
    {
        if (!builder.Services.Any(service => service.ServiceType == typeof(IValidateOptions<LockGrainOptions>)))
        {
            builder.AddLockGrains();
        }

        builder.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<LockGrainOptions>>((collection, locks) =>
        {
            if (locks.Value.IdleDeactivationAge is { } idle)
            {
                collection.ClassSpecificCollectionAge[typeof(SemaphoreGrain).FullName!] = idle;
            }
        });
        return builder;
    }
}
