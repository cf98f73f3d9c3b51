using LockService.Http;
using LockService.Silo;
using LockService.Silo.Chaos;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// No host defaults: they would also read every unprefixed environment variable, so a stray POSTGRES or CLOCKOFFSET
// in the shell would reconfigure the silo. SiloConfigurationSources lists what is read instead.
var contentRoot = Directory.GetCurrentDirectory();
var configuration = new ConfigurationManager();
configuration.AddLockSiloSources(contentRoot, args);

var options = new LockSiloOptions();
configuration.Bind(options);
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

int[] ports = options.Http.Enabled ? [options.SiloPort, options.GatewayPort, options.Http.Port] : [options.SiloPort, options.GatewayPort];
if (PortOwnership.FindListenedOn(ports) is { Count: > 0 } taken)
{
    Console.Error.WriteLine($"lock silo: port {string.Join(" and ", taken)} is already in use by another process; a silo needs its silo, gateway and HTTP ports to itself (choose others with --silo-port / --gateway-port / --http-port).");
    return 3;
}

if (!options.Http.Enabled)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        DisableDefaults = true,
        ContentRootPath = contentRoot,
        Configuration = configuration,
    });
    builder.AddLockSilo(options);
    using var host = builder.Build();
    await host.RunAsync();
}
else
{
    // The same silo in a WebApplication that also serves the HTTP API; its endpoints call the grains through this
    // silo's own grain factory. The empty builder adds no configuration source of its own, for the reason above.
    var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = contentRoot });
    builder.Configuration.AddConfiguration(configuration);
    builder.AddLockSilo(options);
    builder.AddLockServiceHttp(options.Http, options.Postgres);
    await using var app = builder.Build();
    app.MapLockServiceHttp();
    await app.RunAsync();
}

return 0;
