using LockService.Grains;
using LockService.Silo;
using LockService.Silo.Chaos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

// No host defaults: they would also read every unprefixed environment variable, so a stray POSTGRES or CLOCKOFFSET
// in the shell would reconfigure the silo. SiloConfigurationSources lists what is read instead.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    DisableDefaults = true,
    ContentRootPath = Directory.GetCurrentDirectory(),
});
builder.Configuration.AddLockSiloSources(builder.Environment.ContentRootPath, args);
builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
builder.Logging.AddConsole();

var options = new LockSiloOptions();
builder.Configuration.Bind(options);
var validation = new LockSiloOptionsValidator().Validate(null, options);
if (validation.Failed)
{
    Console.Error.WriteLine($"lock silo: invalid configuration: {validation.FailureMessage}");
    return 2;
}

if (options.EnableFaultInjection)
{
    // On the console before anything else happens, so nobody mistakes this silo for a production one.
    var banner = new string('!', 100);
    Console.Error.WriteLine($"{banner}\n{FaultInjectionHooks.Announcement(options)}\n{banner}");
}

if (PortOwnership.FindListenedOn(options.SiloPort, options.GatewayPort) is { Count: > 0 } taken)
{
    Console.Error.WriteLine($"lock silo: port {string.Join(" and ", taken)} is already in use by another process; a silo needs its silo and gateway ports to itself (choose others with --silo-port / --gateway-port).");
    return 3;
}

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

using var host = builder.Build();
await host.RunAsync();
return 0;
