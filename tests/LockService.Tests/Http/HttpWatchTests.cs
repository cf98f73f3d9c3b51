using System.Net;
using System.Text.Json;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// <c>GET /v1/locks/{name}/watch</c>: server-sent events pushed at each holder change, directly from a silo and through
/// real nginx (which would hold them back if it buffered the stream), and a heartbeat while nothing changes.
/// </summary>
[Collection(KeyedHttpClusterCollection.Name)]
public sealed class HttpWatchTests(KeyedHttpClusterFixture cluster)
{
    private static readonly TimeSpan EventDeadline = TimeSpan.FromSeconds(60);

    public static TheoryData<bool> Paths => new() { false, true };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Holder_events_arrive_at_once_at_a_grant_and_at_the_release(bool throughNginx)
    {
        var name = LockNames.Unique("http-watch");
        using var watcher = throughNginx ? cluster.ThroughNginx(cluster.LockKey) : KeyedHttpClusterFixture.Client(cluster.SiloUrls[2], cluster.LockKey);
        using var actor = KeyedHttpClusterFixture.Client(cluster.SiloUrls[0], cluster.LockKey);
        using var response = await watcher.GetAsync($"/v1/locks/{name}/watch", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        if (!throughNginx)
        {
            // nginx acts on X-Accel-* headers and does not pass them on; through it, the events arriving is the proof.
            Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        }

        await using var events = new EventStream(await response.Content.ReadAsStreamAsync());

        var free = await events.NextHolderAsync(EventDeadline);
        Assert.Equal(name, free.GetProperty("name").GetString());
        Assert.Null(Holder(free));

        var grant = await (await actor.PostJsonAsync($"/v1/locks/{name}/acquire", new { owner = "server-1", ttl = "60s" })).JsonAsync();
        var held = await events.NextHolderAsync(EventDeadline);
        Assert.Equal("server-1", Holder(held));
        Assert.Equal(grant.GetProperty("fencingToken").GetInt64(), held.GetProperty("fencingToken").GetInt64());

        await (await actor.PostJsonAsync($"/v1/locks/{name}/release", new { leaseId = grant.GetProperty("leaseId").GetString() })).JsonAsync();
        var released = await events.NextHolderAsync(EventDeadline);
        Assert.Null(Holder(released));
    }

    [Fact]
    public async Task A_quiet_stream_through_nginx_gets_a_heartbeat_comment()
    {
        using var watcher = cluster.ThroughNginx(cluster.LockKey);
        using var response = await watcher.GetAsync($"/v1/locks/{LockNames.Unique("http-heartbeat")}/watch", HttpCompletionOption.ResponseHeadersRead);
        await using var events = new EventStream(await response.Content.ReadAsStreamAsync());
        await events.NextHolderAsync(EventDeadline);

        // The heartbeat comes after 15 s without a change; nginx passes it on at once or the deadline catches it.
        var next = await events.NextAsync(EventDeadline);
        Assert.Equal(": heartbeat", next.Comment);
    }

    [Fact]
    public async Task A_bad_lock_name_is_refused_before_the_stream_starts()
    {
        using var watcher = KeyedHttpClusterFixture.Client(cluster.SiloUrls[0], cluster.LockKey);
        var tooLong = new string('x', LockArguments.MaxLength + 1);
        await (await watcher.GetAsync($"/v1/locks/{tooLong}/watch")).ProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    /// <summary>The event's holder: null when the lock is free (written as null, or left out).</summary>
    private static string? Holder(JsonElement state) =>
        state.TryGetProperty("holder", out var holder) && holder.ValueKind == JsonValueKind.String ? holder.GetString() : null;

    /// <summary>Reads server-sent events: blocks separated by blank lines, comments starting with ':'.</summary>
    private sealed class EventStream(Stream stream) : IAsyncDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<JsonElement> NextHolderAsync(TimeSpan deadline)
        {
            var next = await NextAsync(deadline);
            while (next.Event is null)
            {
                next = await NextAsync(deadline); // a heartbeat in between
            }

            Assert.Equal("holder", next.Event);
            return JsonDocument.Parse(next.Data!).RootElement.Clone();
        }

        public async Task<(string? Event, string? Data, string? Comment)> NextAsync(TimeSpan deadline)
        {
            using var timeout = new CancellationTokenSource(deadline);
            string? name = null, data = null, comment = null;
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null || data is not null || comment is not null)
                    {
                        return (name, data, comment);
                    }

                    continue;
                }

                if (line.StartsWith(':'))
                {
                    comment = line;
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
            }

            throw new InvalidOperationException("The event stream ended.");
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
