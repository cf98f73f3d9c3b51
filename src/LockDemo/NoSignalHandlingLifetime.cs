using Microsoft.Extensions.Hosting;

namespace LockService.Demo;

/// <summary>
/// A host lifetime that leaves SIGINT and SIGTERM to the runtime's default (end the process), unlike the console
/// lifetime, which would keep the demo running until its scenarios finish.
/// </summary>
internal sealed class NoSignalHandlingLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
