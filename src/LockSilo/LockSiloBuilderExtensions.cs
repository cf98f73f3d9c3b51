using System.Net;
using LockService.Grains;
using LockService.Silo;
using LockService.Silo.Chaos;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;

namespace Orleans.Hosting;

/// <summary>Configures a silo as a member of a lock service cluster.</summary>
public static class LockSiloBuilderExtensions
{
    /// <summary>
    /// Clustering, endpoints, storage and the lock grains from <paramref name="options"/>: ADO.NET on PostgreSQL when
    /// a connection string is given, otherwise a single-silo development cluster on localhost.
    /// </summary>
    public static ISiloBuilder UseLockService(this ISiloBuilder builder, LockSiloOptions options)
    {
        builder.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ServiceId;
        });

        if (options.IsDurable)
        {
            var postgres = PostgresConnectionDefaults.Apply(options.Postgres!);
            builder.UseAdoNetClustering(clustering =>
            {
                clustering.Invariant = LockStorageSiloBuilderExtensions.NpgsqlInvariant;
                clustering.ConnectionString = PostgresConnectionDefaults.ForPool(postgres, PostgresPool.Clustering);
            });
            builder.ConfigureEndpoints(ResolveAdvertisedAddress(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            builder.AddLockPostgresStorage(postgres);
        }
        else
        {
            builder.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            builder.AddLockInMemoryStorage();
        }

        if (options.SiloName is { Length: > 0 } siloName)
        {
            builder.Configure<SiloOptions>(silo => silo.SiloName = siloName);
        }

        if (!options.EnableFaultInjection && FaultInjectionHooks.SetIn(options) is { Count: > 0 } hooks)
        {
            throw new InvalidOperationException(FaultInjectionHooks.Refusal(hooks[0]));
        }

        if (options.ClockOffset != TimeSpan.Zero)
        {
            builder.Services.AddKeyedSingleton<TimeProvider>(LockGrainServices.ClockKey, new OffsetTimeProvider(options.ClockOffset));
        }

        if (options.ChaosCrashAfterWriteOf is { Length: > 0 } crashLock)
        {
            // Registered after the real provider: the keyed lookup of "locks" now finds the wrapper around it.
            var durable = builder.Services.Last(d => d.IsKeyedService && Equals(d.ServiceKey, LockGrainServices.StorageProviderName) && d.ServiceType == typeof(IGrainStorage));
            builder.Services.AddKeyedSingleton<IGrainStorage>(
                LockGrainServices.StorageProviderName,
                (services, key) => new CrashAfterWriteGrainStorage((IGrainStorage)durable.KeyedImplementationFactory!(services, key), crashLock));
        }

        builder.AddLockGrains();
        builder.AddSemaphoreGrains();
        builder.AddWorkQueueGrains();
        builder.UseLockFailoverTuning();
        return builder;
    }

    private static IPAddress ResolveAdvertisedAddress(string address)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            return ip;
        }

        // A host name (a compose service name, say): advertise its IPv4 address so peers can dial it.
        var addresses = Dns.GetHostAddresses(address);
        return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"AdvertisedAddress '{address}' does not resolve to any IP address.");
    }
}
