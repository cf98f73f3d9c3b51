using LockService.Client;
using LockService.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

Console.WriteLine($"lock demo: connecting to cluster '{options.ClusterId}' through {string.Join(", ", options.Gateways)}");
// The connection logs nothing: the demo tells the story itself, and the client's own connection warnings during the
// failover would only blur it. Ctrl-C and SIGTERM end the demo at once (scripts/demo.sh stops the cluster), rather
// than waiting for a host shutdown.
var client = await LockClientConnection.ConnectAsync(
    client =>
    {
        foreach (var gateway in options.Gateways)
        {
            client.Gateways.Add(gateway);
        }

        client.ClusterId = options.ClusterId;
        client.ServiceId = options.ServiceId;
    },
    configureHost: host => host.Services.AddSingleton<IHostLifetime, NoSignalHandlingLifetime>());

var narrator = new Narrator();
try
{
    await new Scenarios(client.Grains, options, narrator).RunAsync();
}
catch (Exception exception)
{
    narrator.Expect(false, $"no error, but got {exception.GetType().Name}: {exception.Message}");
}

Console.WriteLine();
Console.WriteLine(narrator.Failures == 0
    ? "lock demo: every scenario behaved"
    : $"lock demo: {narrator.Failures} expectation(s) FAILED");

await client.DisposeAsync();

return narrator.Failures == 0 ? 0 : 1;
