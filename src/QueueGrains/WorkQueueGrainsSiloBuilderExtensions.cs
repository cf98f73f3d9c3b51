using LockService.Grains;
using LockService.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>Registers the work-queue grains on a silo.</summary>
public static class WorkQueueGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the work-queue grains beside the lock grains (<see cref="LockGrainsSiloBuilderExtensions.AddLockGrains"/>,
    /// called here too if it was not already): they share the lock's options, clock, storage provider and reminder
    /// service, and store their records under state names of their own (<see cref="WorkQueueStorage"/>). Their own
    /// settings (<see cref="WorkQueueOptions"/>) are validated at start.
    /// </summary>
    public static ISiloBuilder AddWorkQueueGrains(this ISiloBuilder builder, Action<WorkQueueOptions>? configure = null)
    {
        if (!builder.Services.Any(service => service.ServiceType == typeof(IValidateOptions<LockGrainOptions>)))
        {
            builder.AddLockGrains();
        }

        var options = builder.Services.AddOptions<WorkQueueOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkQueueOptions>, WorkQueueOptionsValidator>());
        builder.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<LockGrainOptions>>((collection, locks) =>
        {
            if (locks.Value.IdleDeactivationAge is { } idle)
            {
                collection.ClassSpecificCollectionAge[typeof(WorkQueueGrain).FullName!] = idle;
                collection.ClassSpecificCollectionAge[typeof(WorkQueueSegmentGrain).FullName!] = idle;
            }
        });
        return builder;
    }
}
