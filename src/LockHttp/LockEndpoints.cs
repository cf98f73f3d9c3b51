using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>The lock routes under <c>/v1/locks/{name}</c> (scope <c>lock</c>; force-release <c>admin</c>).</summary>
public static class LockEndpoints
{
    /// <summary>Maps the lock routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapLockEndpoints(this IEndpointRouteBuilder v1)
    {
        return v1;
    }
}
