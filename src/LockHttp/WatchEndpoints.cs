using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LockService.Http;

/// <summary>
/// <c>GET /v1/locks/{name}/watch</c> (scope <c>lock</c>): server-sent events, one <c>holder</c> event with the lock's
/// state (the body of <c>GET /v1/locks/{name}</c>) when the stream opens and at each change, and a
/// <c>: heartbeat</c> comment after 15 s without one, so proxies and clients see the stream is alive. Changes are pushed
/// by the lock grain (<see cref="ILockWatchGrain"/>: a long-poll it answers at the change), never polled.
/// </summary>
public static partial class WatchEndpoints
{
    /// <summary>The longest quiet time on a stream: a heartbeat comment is sent after it.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    // How long to wait before asking again after a failed call (the lock's silo went away, storage is out).
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Maps the watch route onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapWatchEndpoints(this IEndpointRouteBuilder v1)
    {
        v1.MapGet("/locks/{name}/watch", WatchAsync)
            .WithTags("Locks")
            .WithSummary("Server-sent events: 'holder' with the lock's state at once and at each change; a heartbeat comment every 15 s.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return v1;
    }

    private static async Task WatchAsync(
        string name, IGrainFactory grains, HttpShutdown shutdown, HttpContext http, IOptions<JsonOptions> json, ILoggerFactory loggers)
    {
        LockArguments.ValidateName(name);
        var grain = grains.GetGrain<ILockWatchGrain>(name);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, shutdown.Stopping);
        // Read before the stream starts, so a failure here is still answered with problem details.
        var seen = await grain.WhenHolderChanges(null, TimeSpan.Zero, ended.Token);

        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // nginx buffers proxied responses by default, which would hold events back; this turns it off for the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await WriteHolderAsync(response, seen, json.Value.SerializerOptions, ended.Token);
            while (!ended.IsCancellationRequested)
            {
                LockDescription now;
                try
                {
                    now = await grain.WhenHolderChanges(seen, HeartbeatInterval, ended.Token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The next call reaches the lock wherever it is activated again; the client keeps its stream.
                    LogWatchCallFailed(loggers.CreateLogger(typeof(WatchEndpoints)), exception, name);
                    await WriteAsync(response, ": retrying\n\n", ended.Token);
                    await Task.Delay(RetryDelay, ended.Token);
                    continue;
                }

                if (now == seen)
                {
                    await WriteAsync(response, ": heartbeat\n\n", ended.Token);
                }
                else
                {
                    await WriteHolderAsync(response, now, json.Value.SerializerOptions, ended.Token);
                    seen = now;
                }
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The client left or the silo is stopping: the stream simply ends (an EventSource reconnects on its own).
        }
    }

    private static Task WriteHolderAsync(HttpResponse response, LockDescription state, JsonSerializerOptions options, CancellationToken cancellationToken) =>
        WriteAsync(response, $"event: holder\ndata: {JsonSerializer.Serialize(LockEndpoints.ToResponse(state), options)}\n\n", cancellationToken);

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of lock '{LockName}': a call to the lock failed; asking again.")]
    private static partial void LogWatchCallFailed(ILogger logger, Exception exception, string lockName);
}
