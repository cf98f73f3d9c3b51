using LockService.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>
/// The semaphore routes under <c>/v1/semaphores/{name}</c> (scope <c>lock</c>; force-release and limit <c>admin</c>):
/// up to <c>max</c> leases at once, each with its own lease id, slot and fencing token.
/// </summary>
public static class SemaphoreEndpoints
{
    /// <summary>The route group's path under <c>/v1</c>.</summary>
    public const string Path = "/semaphores/{name}";

    /// <summary>Maps the semaphore routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapSemaphoreEndpoints(this IEndpointRouteBuilder v1)
    {
        var semaphores = v1.MapGroup(Path).WithTags("Semaphores");
        semaphores.MapPost("/acquire", AcquireAsync).WithName("AcquireSemaphore").ProducesAcquireProblems()
            .WithSummary("Acquire a slot: one try, or a long-poll of up to 55 s in the semaphore's fair queue.");
        semaphores.MapPost("/refresh", RefreshAsync).WithName("RefreshSemaphore").ProducesLeaseProblems()
            .WithSummary("Extend the lease.");
        semaphores.MapPost("/release", ReleaseAsync).WithName("ReleaseSemaphore").ProducesOperatorProblems()
            .WithSummary("End the lease and free its slot; idempotent.");
        semaphores.MapGet("", DescribeAsync).WithName("GetSemaphore").ProducesValidationProblem()
            .WithSummary("The semaphore's limit, holders and waiters.");
        semaphores.MapPost("/force-release", ForceReleaseAsync).WithName("ForceReleaseSemaphore").ProducesOperatorProblems().RequireAuthorization(ApiScopes.Admin)
            .WithSummary("Operator: end the lease in one slot, or every lease.");
        semaphores.MapPost("/limit", SetLimitAsync).WithName("SetSemaphoreLimit").ProducesOperatorProblems().RequireAuthorization(ApiScopes.Admin)
            .WithSummary("Operator: change the limit; raising it grants waiters at once, lowering it revokes nobody.");
        return v1;
    }

    private static async Task<Results<Ok<SemaphoreGrantResponse>, ProblemHttpResult, RetryAfterResult, EmptyHttpResult>> AcquireAsync(
        string name, [FromBody] SemaphoreAcquireRequest? body, IGrainFactory grains, HttpShutdown shutdown, HttpContext http)
    {
        var request = HttpArguments.Body(body);
        var max = HttpArguments.Required(request.Max, "max", "the semaphore's limit, at least 1");
        SemaphoreArguments.ValidateMaxCount(max, int.MaxValue);
        var (owner, ttl, wait, leaseId) = HttpArguments.Acquisition(name, request.Owner, request.Ttl, request.Wait, request.LeaseId, http);
        var grain = grains.GetGrain<ISemaphoreGrain>(name);
        var result = await LongPoll.AcquireAsync(
            http,
            shutdown,
            wait,
            () => grain.TryAcquire(owner, leaseId, max, ttl),
            token => grain.Acquire(owner, leaseId, max, ttl, wait, token),
            () => grain.Abandon(leaseId),
            r => r.Acquired);
        if (result is null)
        {
            return shutdown.IsStopping ? LongPoll.ShuttingDown() : TypedResults.Empty;
        }

        return result.Acquired
            ? TypedResults.Ok(new SemaphoreGrantResponse(leaseId, result.Slot, result.FencingToken, result.ExpiresAt?.UtcDateTime, LockEndpoints.OutcomeName(result.Outcome)))
            : Problems.Busy($"Semaphore '{name}' has all {result.MaxCount} slots held{LongPoll.WithinWait(wait, "none was freed")}.", holder: null, expiresAt: null);
    }

    private static async Task<Results<Ok<SemaphoreGrantResponse>, ProblemHttpResult>> RefreshAsync(string name, [FromBody] LeaseRefreshRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var request = HttpArguments.Body(body);
        var leaseId = HttpArguments.LeaseId(request.LeaseId);
        var ttl = HttpArguments.RequiredDuration(request.Ttl, "ttl");
        var result = await grains.GetGrain<ISemaphoreGrain>(name).Refresh(leaseId, ttl);
        return result.Acquired
            ? TypedResults.Ok(new SemaphoreGrantResponse(leaseId, result.Slot, result.FencingToken, result.ExpiresAt?.UtcDateTime, LockEndpoints.OutcomeName(result.Outcome)))
            : Problems.NotHolder($"This lease is not a valid lease of semaphore '{name}' (it expired, was released or was never granted); acquire again.");
    }

    private static async Task<Ok<ReleaseResponse>> ReleaseAsync(string name, [FromBody] LeaseReleaseRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var leaseId = HttpArguments.LeaseId(HttpArguments.Body(body).LeaseId);
        var result = await grains.GetGrain<ISemaphoreGrain>(name).Release(leaseId);
        return TypedResults.Ok(new ReleaseResponse(result.Outcome == LockOutcome.Released));
    }

    private static async Task<Ok<SemaphoreStatusResponse>> DescribeAsync(string name, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        return TypedResults.Ok(ToResponse(await grains.GetGrain<ISemaphoreGrain>(name).Describe()));
    }

    private static async Task<Ok<SemaphoreForceReleaseResponse>> ForceReleaseAsync(
        string name, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] SemaphoreForceReleaseRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var released = await grains.GetGrain<ISemaphoreGrain>(name).ForceRelease(body?.Slot);
        return TypedResults.Ok(new SemaphoreForceReleaseResponse(released));
    }

    private static async Task<Ok<SemaphoreStatusResponse>> SetLimitAsync(string name, [FromBody] SemaphoreLimitRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var max = HttpArguments.Required(HttpArguments.Body(body).Max, "max", "the new limit, at least 1");
        return TypedResults.Ok(ToResponse(await grains.GetGrain<ISemaphoreGrain>(name).SetLimit(max)));
    }

    private static SemaphoreStatusResponse ToResponse(SemaphoreDescription description) =>
        new(description.SemaphoreName, description.MaxCount, description.FencingToken,
            description.Holders.Select(h => new SemaphoreHolderResponse(h.Owner, h.Slot, h.FencingToken, h.AcquiredAt.UtcDateTime, h.ExpiresAt.UtcDateTime)).ToArray(),
            description.WaitingCount);
}
