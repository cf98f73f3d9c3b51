using LockService.Silo.Chaos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LockService.Silo;

/// <summary>Says once, at start, what this silo is, whether anything it grants is durable, and whether it injects faults.</summary>
internal sealed partial class StartupBanner(IOptions<LockSiloOptions> options, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var silo = options.Value;
        if (silo.EnableFaultInjection)
        {
            LogFaultInjection(FaultInjectionHooks.Announcement(silo));
        }

        if (silo.IsDurable)
        {
            LogDurable(silo.ClusterId, silo.ServiceId, silo.SiloPort, silo.GatewayPort, DescribeDatabase(silo.Postgres!), DescribeWrites(silo.Storage));
        }
        else
        {
            LogDevelopment(silo.SiloPort, silo.GatewayPort);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Host, port and database only: the connection string may carry a password and is never logged.
    private static string DescribeDatabase(string connectionString)
    {
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{parsed.Host}:{parsed.Port}/{parsed.Database}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    private static string DescribeWrites(LockStorageOptions storage) => storage.BatchWrites
        ? $"shared commits (up to {storage.MaxBatchesInFlight} in flight, {storage.MaxBatchSize} writes each)"
        : "one commit per write (Storage:BatchWrites=false)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock silo started: cluster '{ClusterId}', service '{ServiceId}', silo port {SiloPort}, gateway port {GatewayPort}, PostgreSQL {Database}, lock state writes in {Writes}.")]
    private partial void LogDurable(string clusterId, string serviceId, int siloPort, int gatewayPort, string database, string writes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Announcement}")]
    private partial void LogFaultInjection(string announcement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock silo started as a DEVELOPMENT SILO: no PostgreSQL connection string, so locks live in memory only and NOTHING IS DURABLE. A restart forgets every lock and fencing tokens start again at 1. Pass --postgres (or LOCKSILO_POSTGRES) for production. Silo port {SiloPort}, gateway port {GatewayPort}.")]
    private partial void LogDevelopment(int siloPort, int gatewayPort);
}
