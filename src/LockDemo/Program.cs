using LockService.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"lock demo: {exception.Message}");
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}

var builder = Host.CreateApplicationBuilder();
// The demo tells the story itself; the client's own connection warnings during the failover would only blur it.
builder.Logging.ClearProviders();
// Ctrl-C and SIGTERM end the demo at once (scripts/demo.sh stops the cluster), rather than waiting for a host shutdown.
builder.Services.AddSingleton<IHostLifetime, NoSignalHandlingLifetime>();
builder.Services.AddLockClient(client =>
{
    foreach (var gateway in options.Gateways)
    {
        client.Gateways.Add(gateway);
    }

    client.ClusterId = options.ClusterId;
    client.ServiceId = options.ServiceId;
});

using var host = builder.Build();
Console.WriteLine($"lock demo: connecting to cluster '{options.ClusterId}' through {string.Join(", ", options.Gateways)}");
using (var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
{
    await host.StartAsync(connectTimeout.Token);
}

var narrator = new Narrator();
try
{
    await new Scenarios(host.Services.GetRequiredService<IGrainFactory>(), options, narrator).RunAsync();
}
catch (Exception exception)
{
    narrator.Expect(false, $"no error, but got {exception.GetType().Name}: {exception.Message}");
}

Console.WriteLine();
Console.WriteLine(narrator.Failures == 0
    ? "lock demo: every scenario behaved"
    : $"lock demo: {narrator.Failures} expectation(s) FAILED");

using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
{
    await host.StopAsync(stopTimeout.Token);
}

return narrator.Failures == 0 ? 0 : 1;
