using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>The work-queue routes under <c>/v1/queues/{queue}</c> (scope <c>queue</c>).</summary>
public static class QueueEndpoints
{
    /// <summary>Maps the work-queue routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapQueueEndpoints(this IEndpointRouteBuilder v1)
    {
        return v1;
    }
}
