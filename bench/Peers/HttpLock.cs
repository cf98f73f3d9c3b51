using System.Net;
using LockService.Bench.Hosting;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>http-1</c>: this service's lock over its HTTP API (one silo, its own HTTP port, no proxy), as curl, Python or Go
/// use it: <c>POST /v1/locks/{name}/acquire</c> and <c>.../release</c> with the lease id. In scenario (a) beside
/// <c>orleans-1</c> (the .NET client on a silo of the same build), the difference of their p50 is what HTTP costs
/// (issue 15: at most 0.3 ms).
/// </summary>
internal sealed class HttpLock : IBenchLock
{
    private readonly HttpClient _http;
    private readonly SiloCluster _cluster;

    private HttpLock(string name, HttpClient http, SiloCluster cluster)
    {
        Name = name;
        _http = http;
        _cluster = cluster;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(_cluster.Configuration.ToDictionary(), StringComparer.Ordinal)
    {
        ["client"] = "HttpClient (HTTP/1.1 keep-alive, JSON) straight to the silo's --http-port: POST /v1/locks/{name}/acquire with a ttl, then /release with the lease id",
    };

    /// <summary>Talks to the first silo of <paramref name="cluster"/> (started with its HTTP API).</summary>
    public static async Task<HttpLock> ConnectAsync(string name, SiloCluster cluster)
    {
        var http = BenchHttp.Client(cluster.HttpUrls[0]);
        await BenchHttp.WaitReadyAsync(http, "/readyz");
        return new HttpLock(name, http, cluster);
    }

    public long? ServerResidentBytes() => _cluster.ResidentBytes();

    public ValueTask<IBenchHandle?> TryAcquireAsync(string lockName, TimeSpan ttl) => AcquireAsync(lockName, ttl, TimeSpan.Zero);

    public async ValueTask<IBenchHandle?> AcquireAsync(string lockName, TimeSpan ttl, TimeSpan timeout)
    {
        var (status, body) = await BenchHttp.PostAsync(_http, $"/v1/locks/{Uri.EscapeDataString(lockName)}/acquire", new
        {
            ttl = $"{ttl.TotalMilliseconds:0}ms",
            wait = timeout > TimeSpan.Zero ? $"{timeout.TotalMilliseconds:0}ms" : null,
        });
        return status switch
        {
            HttpStatusCode.OK => new Handle(this, lockName, body.GetProperty("leaseId").GetString()!, body.GetProperty("fencingToken").GetInt64()),
            HttpStatusCode.Conflict => null,
            _ => throw new InvalidOperationException($"acquire of '{lockName}' over HTTP answered {(int)status}: {body}"),
        };
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Handle(HttpLock peer, string lockName, string leaseId, long fencingToken) : IBenchHandle
    {
        public long? FencingToken => fencingToken;

        public async ValueTask ReleaseAsync() =>
            await BenchHttp.PostExpectingAsync(peer._http, $"/v1/locks/{Uri.EscapeDataString(lockName)}/release", new { leaseId }, HttpStatusCode.OK);
    }
}
