using Microsoft.Extensions.Hosting;

namespace LockService.Http;

/// <summary>
/// The HTTP side of a graceful stop. On SIGTERM the host signals <see cref="IHostApplicationLifetime.ApplicationStopping"/>
/// before it stops anything (and <see cref="HttpDrain"/> begins the stop too, whatever triggered it): from then on
/// <c>/readyz</c> fails and every open long-poll ends with 503 and <c>Retry-After</c>, withdrawing its wait so no grant
/// is left behind. After the drain delay Kestrel stops, and only then does the silo leave the cluster (the web host is
/// stopped before the services registered ahead of it).
/// </summary>
public sealed class HttpShutdown : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenRegistration _fromHost;

    /// <summary>Follows the host's stopping signal.</summary>
    public HttpShutdown(IHostApplicationLifetime lifetime) => _fromHost = lifetime.ApplicationStopping.Register(Begin);

    /// <summary>Whether the silo is stopping: not ready, and no long-poll waits any more.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Cancelled when the silo starts stopping; long-polls end on it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Begins the stop: readiness fails and open long-polls end. Idempotent.</summary>
    public void Begin()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The host is already disposed: nothing is left to stop.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _fromHost.Dispose();
        _stopping.Dispose();
    }
}
