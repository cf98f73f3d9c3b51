using LockService.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace LockService.Silo;

/// <summary>
/// The lock silo on a host builder: the same services whether the host is a plain Generic Host (no HTTP) or the
/// WebApplication that also serves the HTTP API.
/// </summary>
public static class LockSiloHostExtensions
{
    /// <summary>Console logging, the silo's options, the Orleans silo with every primitive, and its housekeeping services.</summary>
    public static IHostApplicationBuilder AddLockSilo(this IHostApplicationBuilder builder, LockSiloOptions options)
    {
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole();

        builder.Services.AddSingleton(Options.Create(options));
        // The lock grains' settings (LockGrainOptions) from the "LockGrains" section, e.g. LOCKSILO_LockGrains__MaxWaiters.
        builder.Services.AddOptions<LockGrainOptions>().Bind(builder.Configuration.GetSection("LockGrains"));
        // The work queues' settings (WorkQueueOptions) from the "WorkQueues" section, e.g. LOCKSILO_WorkQueues__SegmentCapacity.
        builder.Services.AddOptions<LockService.Queues.WorkQueueOptions>().Bind(builder.Configuration.GetSection("WorkQueues"));
        builder.UseOrleans(silo => silo.UseLockService(options));
        // After a burst of locks goes idle and Orleans collects their grains, give the memory back (IdleMemoryReturn.cs).
        builder.Services.AddSingleton<IdleMemoryReturn>();
        builder.Services.AddSingleton<IActivationWorkingSetObserver>(services => services.GetRequiredService<IdleMemoryReturn>());
        builder.Services.AddHostedService(services => services.GetRequiredService<IdleMemoryReturn>());
        // Hosted services start in order: registered after the silo, the banner is printed once the silo serves calls.
        builder.Services.AddHostedService<StartupBanner>();
        // SIGTERM and Ctrl-C stop the host, and the silo leaves the cluster gracefully: its activations move on.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }
}
