using Microsoft.Extensions.Hosting;

namespace LockService.Http;

/// <summary>
/// The HTTP side of a graceful stop. On SIGTERM the host signals <see cref="IHostApplicationLifetime.ApplicationStopping"/>
/// before it stops anything: from then on <c>/readyz</c> fails and every open long-poll ends with 503 and
/// <c>Retry-After</c> (abandoning its wait, so no grant is left behind). Kestrel then drains, and only after it has
/// stopped does the silo leave the cluster (the web host is stopped before the services registered ahead of it).
/// </summary>
public sealed class HttpShutdown
{
    private readonly CancellationToken _stopping;

    /// <summary>Follows the host's stopping signal.</summary>
    public HttpShutdown(IHostApplicationLifetime lifetime) => _stopping = lifetime.ApplicationStopping;

    /// <summary>Whether the silo is stopping: not ready, and no new long-poll is started.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Cancelled when the silo starts stopping; long-polls end on it.</summary>
    public CancellationToken Stopping => _stopping;
}
