using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LockService.Http;

/// <summary><c>/readyz</c>'s second half: the storage answers (<see cref="StorageProbe"/>).</summary>
internal sealed class StorageReadinessCheck(StorageProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!probe.IsDurable)
        {
            return HealthCheckResult.Healthy("In-memory storage (development silo).");
        }

        try
        {
            await probe.ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's message may name the host; the connection string itself is never put in a result.
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer.", exception);
        }
    }
}
