using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>The server-sent-events route <c>GET /v1/locks/{name}/watch</c> (scope <c>lock</c>).</summary>
public static class WatchEndpoints
{
    /// <summary>Maps the watch routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapWatchEndpoints(this IEndpointRouteBuilder v1)
    {
        return v1;
    }
}
