using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace LockService.Http;

/// <summary>
/// <c>/readyz</c>'s first half: the silo is an active member of its cluster and is not stopping. A load balancer
/// sends traffic elsewhere as soon as this fails.
/// </summary>
internal sealed class SiloReadinessCheck(ISiloStatusOracle silo, HttpShutdown shutdown) : IHealthCheck
{
    /// <summary>The tag of the checks <c>/readyz</c> runs (<c>/healthz</c> runs none: the process answering is enough).</summary>
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (shutdown.IsStopping)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The silo is shutting down."));
        }

        var status = silo.CurrentStatus;
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy("The silo is active.")
            : HealthCheckResult.Unhealthy($"The silo is {status}, not active."));
    }
}
