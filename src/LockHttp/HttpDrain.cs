using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LockService.Http;

/// <summary>
/// Holds the stop for <see cref="HttpApiOptions.ShutdownDrainDelay"/> after SIGTERM, before anything stops: the stop
/// signal has already made <c>/readyz</c> fail and ended the open long-polls (<see cref="HttpShutdown"/>), and a load
/// balancer needs a few health checks to notice before Kestrel closes its port and the silo leaves the cluster.
/// Ordinary calls are still served meanwhile.
/// </summary>
internal sealed partial class HttpDrain(IOptions<HttpApiOptions> options, HttpShutdown shutdown, ILogger<HttpDrain> logger) : IHostedLifecycleService
{
    // Host.StopAsync calls every lifecycle service's StoppingAsync before it stops any hosted service, Kestrel included.
    // On SIGTERM the console lifetime has signalled ApplicationStopping already; a stop from elsewhere begins here.
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        shutdown.Begin();
        var delay = options.Value.ShutdownDrainDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        LogDraining(delay);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown time-out ran out first; stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP API stopping: /readyz fails and long-polls were ended; serving other calls for {Delay} more before the port closes and the silo leaves.")]
    private partial void LogDraining(TimeSpan delay);
}
