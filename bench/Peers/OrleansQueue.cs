using LockService.Bench.Hosting;
using LockService.Client;
using Npgsql;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>orleans-3</c> as a work queue: three silos on their defaults, and the client library as an application uses it
/// (<see cref="WorkQueue.TryClaimAsync"/>, <see cref="TaskClaim.CompleteAsync"/>, keep-alive and all). Every claim is
/// durable in PostgreSQL before it is returned. Each fill makes a queue of its own, so a measurement never meets the
/// segments (or the activations) of the one before.
/// </summary>
internal sealed class OrleansQueue : IBenchQueue
{
    private readonly LockClientConnection _client;
    private readonly SiloCluster _cluster;
    private readonly string _postgres;
    private readonly TimeSpan _ttl;
    private WorkQueue? _queue;
    private int _fills;

    private OrleansQueue(LockClientConnection client, SiloCluster cluster, string postgres, TimeSpan ttl)
    {
        _client = client;
        _cluster = cluster;
        _postgres = postgres;
        _ttl = ttl;
    }

    public string Name => "orleans-3";

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(_cluster.Configuration.ToDictionary(), StringComparer.Ordinal)
    {
        ["client"] = "LockClientConnection with its defaults: WorkQueue.TryClaimAsync, TaskClaim.CompleteAsync (keep-alive running), one claim per call",
        ["lease"] = _ttl.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static async Task<OrleansQueue> ConnectAsync(SiloCluster cluster, string postgres, TimeSpan ttl) =>
        new(await LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in cluster.Gateways)
            {
                options.Gateways.Add(gateway);
            }

            options.ClusterId = cluster.ClusterId;
            options.ServiceId = cluster.ServiceId;
        }), cluster, postgres, ttl);

    public async Task FillAsync(int pending)
    {
        _queue = _client.Locks.CreateQueue($"bench-queue-{++_fills}-{Guid.NewGuid():N}", new LockOptions { Ttl = _ttl });
        for (var offset = 0; offset < pending; offset += QueueArguments.MaxBatchSize)
        {
            var count = Math.Min(QueueArguments.MaxBatchSize, pending - offset);
            await _queue.EnqueueAsync(Enumerable.Range(offset, count).Select(i => $"task {i}"));
        }
    }

    public async Task<IBenchTaskClaim?> ClaimAsync() =>
        await _queue!.TryClaimAsync() is { } claim ? new Claim(claim) : null;

    public async Task<long?> StorageBytesWrittenAsync()
    {
        // The current queue's rows (its directory and segments: keys that start with its name). Each row's version
        // counts its writes (ADO.NET grain storage bumps it on every write); times the row's size now, the bytes written
        // to it. An upper bound: a segment's leases record grows as its tasks are first claimed, so early writes were
        // smaller; the same bound at every queue length, so the ratio between lengths is fair.
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(version::bigint * coalesce(octet_length(payloadbinary), 0)), 0) FROM orleansstorage " +
            "WHERE serviceid = $1 AND graintypestring LIKE 'workqueue%' AND grainidextensionstring LIKE $2",
            connection);
        command.Parameters.AddWithValue(_cluster.ServiceId);
        command.Parameters.AddWithValue($"{_queue!.Name}%");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private sealed class Claim(TaskClaim claim) : IBenchTaskClaim
    {
        public string TaskId => claim.TaskId;

        public async Task<bool> CompleteAsync()
        {
            try
            {
                await claim.CompleteAsync();
                return true;
            }
            catch (TaskLeaseLostException)
            {
                return false;
            }
            finally
            {
                await claim.DisposeAsync();
            }
        }
    }
}
