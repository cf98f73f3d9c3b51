using System.Collections.Concurrent;
using Medallion.Threading.Postgres;

namespace LockService.Bench.Peers;

/// <summary>
/// PostgreSQL session advisory locks through DistributedLock.Postgres, with its defaults (connection multiplexing), on
/// connections tuned as the silo tunes its own storage's (<see cref="PeerConnections"/>). A waiting acquire blocks in
/// the server (<c>pg_advisory_lock</c>), which wakes it on release. Nothing is durable: the lock lives as long as the
/// session that holds it.
/// </summary>
internal sealed class PgAdvisoryLock(string connectionString) : IBenchLock
{
    private readonly ConcurrentDictionary<string, PostgresDistributedLock> _locks = new(StringComparer.Ordinal);
    private readonly string _connectionString = PeerConnections.For(connectionString, "pg-advisory");

    public string Name => "pg-advisory";

    public IReadOnlyDictionary<string, string> Configuration
    {
        get
        {
            var configuration = PeerConnections.Describe(_connectionString);
            configuration["kind"] = "session advisory locks, DistributedLock.Postgres 1.3.1 with its defaults (connection multiplexing); nothing durable";
            configuration["waiting"] = "blocks in the server (pg_advisory_lock), woken on release";
            return configuration;
        }
    }

    public async ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl) =>
        Wrap(await Lock(lockName).TryAcquireAsync(TimeSpan.Zero));

    public async ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout) =>
        Wrap(await Lock(lockName).TryAcquireAsync(timeout));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private PostgresDistributedLock Lock(string lockName) =>
        _locks.GetOrAdd(lockName, name => new PostgresDistributedLock(new PostgresAdvisoryLockKey(name, allowHashing: true), _connectionString));

    private static Handle? Wrap(PostgresDistributedLockHandle? handle) => handle is null ? null : new Handle(handle);

    private sealed class Handle(PostgresDistributedLockHandle handle) : IBenchHandle
    {
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
