using System.Collections.Concurrent;
using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LockService.Bench.Peers;

/// <summary>
/// This service, exactly as an application uses it: a host with <c>AddLockClient</c>, <see cref="ILockProvider"/>,
/// and lock handles with their background keep-alive. Every grant is durable in PostgreSQL before it is returned.
/// </summary>
internal sealed class OrleansLock : IBenchLock
{
    private readonly IHost _host;
    private readonly ILockProvider _provider;
    private readonly ConcurrentDictionary<(string, TimeSpan), DistributedLock> _locks = new();

    private OrleansLock(string name, IHost host)
    {
        Name = name;
        _host = host;
        _provider = host.Services.GetRequiredService<ILockProvider>();
    }

    public string Name { get; }

    public IServiceProvider Services => _host.Services;

    public static async Task<OrleansLock> ConnectAsync(string name, IEnumerable<string> gateways, string clusterId, string serviceId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddLockClient(options =>
        {
            foreach (var gateway in gateways)
            {
                options.Gateways.Add(gateway);
            }

            options.ClusterId = clusterId;
            options.ServiceId = serviceId;
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return new OrleansLock(name, host);
    }

    public async ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync());

    public async ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync(timeout));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private DistributedLock Lock(string lockName, TimeSpan ttl) =>
        _locks.GetOrAdd((lockName, ttl), key => _provider.CreateLock(key.Item1, new LockOptions { Ttl = key.Item2 }));

    private static Handle? Wrap(LockHandle? handle) => handle is null ? null : new Handle(handle);

    private sealed class Handle(LockHandle handle) : IBenchHandle
    {
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
