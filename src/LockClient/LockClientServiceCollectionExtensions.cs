using LockService.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the lock client.</summary>
public static class LockClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client connected to a lock cluster, by static gateways or by the ADO.NET membership table on
    /// PostgreSQL. <see cref="IGrainFactory"/> and <see cref="IClusterClient"/> are then available from DI, so
    /// <c>grainFactory.GetGrain&lt;ILockGrain&gt;("backup").TryAcquire(owner, ttl)</c> works, and so does the handle API:
    /// <see cref="ILockProvider"/>. The client connects when the host starts.
    /// </summary>
    /// <exception cref="OptionsValidationException">The configuration could never connect; the message names the setting.</exception>
    public static IServiceCollection AddLockClient(this IServiceCollection services, Action<LockClientOptions>? configure = null)
    {
        var options = new LockClientOptions();
        configure?.Invoke(options);
        var validation = new LockClientOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(LockClientOptions), typeof(LockClientOptions), validation.Failures);
        }

        services.AddSingleton(Options.Options.Create(options));
        services.AddSingleton<ILockProvider, LockProvider>();
        services.AddOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = options.ResponseTimeout);

            if (!string.IsNullOrWhiteSpace(options.Postgres))
            {
                client.UseAdoNetClustering(clustering =>
                {
                    clustering.Invariant = "Npgsql";
                    clustering.ConnectionString = options.Postgres;
                });
            }
            else
            {
                client.UseStaticClustering(options.ParseGateways());
            }
        });
        return services;
    }
}
