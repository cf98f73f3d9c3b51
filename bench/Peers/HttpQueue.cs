using System.Net;
using LockService.Bench.Hosting;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>http-3</c> as a work queue in scenario (h): three silos on their defaults behind nginx round-robin (seed 001's
/// deployment), driven over the HTTP API as seed 001's clients drive theirs: <c>POST /v1/queues/{queue}/claim</c>, then
/// <c>.../tasks/{id}/complete</c> with the claim's lease id. Every claim is durable in PostgreSQL before it is returned.
/// Each fill makes a queue of its own.
/// </summary>
internal sealed class HttpQueue : IBenchQueue
{
    private const int EnqueueBatch = 1_000;

    private readonly HttpClient _http;
    private readonly SiloCluster _cluster;
    private readonly TimeSpan _ttl;
    private string _queue = "";
    private int _fills;

    private HttpQueue(HttpClient http, SiloCluster cluster, TimeSpan ttl)
    {
        _http = http;
        _cluster = cluster;
        _ttl = ttl;
    }

    public string Name => "http-3";

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(_cluster.Configuration.ToDictionary(), StringComparer.Ordinal)
    {
        ["client"] = "HttpClient (HTTP/1.1 keep-alive, JSON) through nginx round-robin over the three silos' HTTP ports: claim, then complete (two requests per task)",
        ["lease"] = _ttl.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static async Task<HttpQueue> ConnectAsync(Uri nginx, SiloCluster cluster, TimeSpan ttl)
    {
        var http = BenchHttp.Client(nginx);
        foreach (var _ in cluster.HttpUrls)
        {
            await BenchHttp.WaitReadyAsync(http, "/readyz");
        }

        return new HttpQueue(http, cluster, ttl);
    }

    public async Task FillAsync(int pending)
    {
        _queue = $"bench-http-queue-{++_fills}-{Guid.NewGuid():N}";
        for (var offset = 0; offset < pending; offset += EnqueueBatch)
        {
            var tasks = Enumerable.Range(offset, Math.Min(EnqueueBatch, pending - offset)).Select(i => new { payload = $"task {i}" }).ToArray();
            await BenchHttp.PostExpectingAsync(_http, $"/v1/queues/{_queue}/tasks", new { tasks }, HttpStatusCode.OK);
        }
    }

    public async Task<IBenchTaskClaim?> ClaimAsync()
    {
        var body = await BenchHttp.PostExpectingAsync(
            _http, $"/v1/queues/{_queue}/claim", new { worker = "bench", leaseTtl = $"{_ttl.TotalSeconds:0}s" }, HttpStatusCode.OK, HttpStatusCode.NoContent);
        return body.ValueKind == System.Text.Json.JsonValueKind.Undefined
            ? null
            : new Claim(this, body.GetProperty("taskId").GetString()!, body.GetProperty("leaseId").GetString()!);
    }

    /// <summary>Not measured for this peer: <c>orleans-3</c> in (q) reports the same silos' storage writes.</summary>
    public Task<long?> StorageBytesWrittenAsync() => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Claim(HttpQueue peer, string taskId, string leaseId) : IBenchTaskClaim
    {
        public string TaskId => taskId;

        public async Task<bool> CompleteAsync()
        {
            var (status, body) = await BenchHttp.PostAsync(peer._http, $"/v1/queues/{peer._queue}/tasks/{taskId}/complete", new { leaseId });
            return status switch
            {
                HttpStatusCode.OK => true,
                HttpStatusCode.Conflict => false,
                _ => throw new InvalidOperationException($"complete of task {taskId} answered {(int)status}: {body}"),
            };
        }
    }
}
