using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>The semaphore routes under <c>/v1/semaphores/{name}</c> (scope <c>lock</c>; force-release and limit <c>admin</c>).</summary>
public static class SemaphoreEndpoints
{
    /// <summary>Maps the semaphore routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapSemaphoreEndpoints(this IEndpointRouteBuilder v1)
    {
        return v1;
    }
}
