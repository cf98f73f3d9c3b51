using System.Collections.Concurrent;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>RedisDistributedSemaphore</c> of DistributedLock.Redis with its defaults, on the Redis lock peer's connection:
/// like its lock, a waiting acquire polls with a random 10–800 ms sleep. It names no slot and gives no fencing token;
/// nothing is durable unless Redis persists.
/// </summary>
internal sealed class RedisSemaphore(IDatabase database) : IBenchSemaphore
{
    private readonly ConcurrentDictionary<(string, int, TimeSpan), RedisDistributedSemaphore> _semaphores = new();

    public async ValueTask<IBenchHandle?> AcquireAsync(string semaphoreName, int maxCount, TimeSpan ttl, TimeSpan timeout) =>
        await Semaphore(semaphoreName, maxCount, ttl).TryAcquireAsync(timeout) is { } handle ? new Handle(handle) : null;

    private RedisDistributedSemaphore Semaphore(string semaphoreName, int maxCount, TimeSpan ttl) =>
        _semaphores.GetOrAdd((semaphoreName, maxCount, ttl), key => new RedisDistributedSemaphore(key.Item1, key.Item2, database, options => options.Expiry(key.Item3)));

    private sealed class Handle(RedisDistributedSemaphoreHandle handle) : IBenchHandle
    {
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
