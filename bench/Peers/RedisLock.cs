using System.Collections.Concurrent;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace LockService.Bench.Peers;

/// <summary>
/// Redis locks through DistributedLock.Redis with its defaults: a waiting acquire polls with a random 10–800 ms
/// sleep, the library's own way. Nothing is durable unless Redis persists, and a failover can lose a held lock.
/// </summary>
internal sealed class RedisLock : IBenchLock
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly ConcurrentDictionary<(string, TimeSpan), RedisDistributedLock> _locks = new();

    private RedisLock(ConnectionMultiplexer connection)
    {
        _connection = connection;
        _database = connection.GetDatabase();
    }

    public string Name => "redis";

    public IReadOnlyDictionary<string, string> Configuration { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["kind"] = "DistributedLock.Redis 1.1.1 with its defaults, on a throwaway Redis without persistence (--save '' --appendonly no); nothing durable",
        ["waiting"] = "polls: the library's random 10-800 ms sleep",
        ["semaphore (f)"] = "RedisDistributedSemaphore, its defaults",
    };

    public static async Task<RedisLock> CreateAsync(string endpoint) =>
        new(await ConnectionMultiplexer.ConnectAsync(endpoint));

    public async ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync(TimeSpan.Zero));

    public async ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout) =>
        Wrap(await Lock(lockName, ttl).TryAcquireAsync(timeout));

    public ValueTask<IBenchSemaphore?> CreateSemaphoreAsync() => ValueTask.FromResult<IBenchSemaphore?>(new RedisSemaphore(_database));

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private RedisDistributedLock Lock(string lockName, TimeSpan ttl) =>
        _locks.GetOrAdd((lockName, ttl), key => new RedisDistributedLock(key.Item1, _database, options => options.Expiry(key.Item2)));

    private static Handle? Wrap(RedisDistributedLockHandle? handle) => handle is null ? null : new Handle(handle);

    private sealed class Handle(RedisDistributedLockHandle handle) : IBenchHandle
    {
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
