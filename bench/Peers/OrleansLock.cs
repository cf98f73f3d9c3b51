using System.Collections.Concurrent;
using LockService.Bench.Hosting;
using LockService.Client;

namespace LockService.Bench.Peers;

/// <summary>
/// This service, exactly as an application uses it: a host with <c>AddLockClient</c>, <see cref="ILockProvider"/>,
/// and lock handles with their background keep-alive. Every grant is durable in PostgreSQL before it is returned.
/// </summary>
internal sealed class OrleansLock : IBenchLock
{
    private readonly LockClientConnection _client;
    private readonly ILockProvider _provider;
    private readonly SiloCluster _cluster;
    private readonly ConcurrentDictionary<(string, TimeSpan), DistributedLock> _locks = new();

    private OrleansLock(string name, LockClientConnection client, SiloCluster cluster)
    {
        Name = name;
        _client = client;
        _provider = client.Locks;
        _cluster = cluster;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(_cluster.Configuration.ToDictionary(), StringComparer.Ordinal)
    {
        ["client"] = "LockClientConnection with its defaults: lock handles (AcquireAsync/TryAcquireAsync, keep-alive) in (a)-(e); ISemaphoreGrain called directly in (f)",
    };

    public IGrainFactory Grains => _client.Grains;

    /// <summary>Connects to <paramref name="cluster"/>'s gateways as an application would.</summary>
    public static async Task<OrleansLock> ConnectAsync(string name, SiloCluster cluster) =>
        new(name, await LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in cluster.Gateways)
            {
                options.Gateways.Add(gateway);
            }

            options.ClusterId = cluster.ClusterId;
            options.ServiceId = cluster.ServiceId;
        }), cluster);

    public long? ServerResidentBytes() => _cluster.ResidentBytes();

    public async ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync());

    public async ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync(timeout));

    public ValueTask<IBenchSemaphore?> CreateSemaphoreAsync() =>
        ValueTask.FromResult<IBenchSemaphore?>(new OrleansSemaphore(_client.Grains, $"{Name}:{Environment.ProcessId}"));

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private DistributedLock Lock(string lockName, TimeSpan ttl) =>
        _locks.GetOrAdd((lockName, ttl), key => _provider.CreateLock(key.Item1, new LockOptions { Ttl = key.Item2 }));

    private static Handle? Wrap(LockHandle? handle) => handle is null ? null : new Handle(handle);

    private sealed class Handle(LockHandle handle) : IBenchHandle
    {
        public long? FencingToken => handle.FencingToken;

        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
