using LockService.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>
/// The lock routes under <c>/v1/locks/{name}</c> (scope <c>lock</c>; force-release <c>admin</c>). Every route works
/// by lease id: the grain keeps only its hash, and the same lease id asked again finds the same grant.
/// </summary>
public static class LockEndpoints
{
    /// <summary>The route group's path under <c>/v1</c>.</summary>
    public const string Path = "/locks/{name}";

    /// <summary>Maps the lock routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapLockEndpoints(this IEndpointRouteBuilder v1)
    {
        var locks = v1.MapGroup(Path).WithTags("Locks");
        locks.MapPost("/acquire", AcquireAsync).WithName("AcquireLock").ProducesAcquireProblems()
            .WithSummary("Acquire the lock: one try, or a long-poll of up to 55 s in the lock's fair queue.");
        locks.MapPost("/refresh", RefreshAsync).WithName("RefreshLock").ProducesLeaseProblems()
            .WithSummary("Extend the lease.");
        locks.MapPost("/release", ReleaseAsync).WithName("ReleaseLock").ProducesLeaseProblems()
            .WithSummary("End the lease; idempotent.");
        locks.MapGet("", DescribeAsync).WithName("GetLock").ProducesValidationProblem()
            .WithSummary("The lock's holder, fencing token and waiters.");
        locks.MapPost("/force-release", ForceReleaseAsync).WithName("ForceReleaseLock").ProducesOperatorProblems().RequireAuthorization(ApiScopes.Admin)
            .WithSummary("Operator: end the current lease, whoever holds it.");
        return v1;
    }

    private static async Task<Results<Ok<LockGrantResponse>, ProblemHttpResult, RetryAfterResult, EmptyHttpResult>> AcquireAsync(
        string name, [FromBody] LockAcquireRequest? body, IGrainFactory grains, HttpShutdown shutdown, HttpContext http)
    {
        var request = HttpArguments.Body(body);
        var (owner, ttl, wait, leaseId) = HttpArguments.Acquisition(name, request.Owner, request.Ttl, request.Wait, request.LeaseId, http);
        var grain = grains.GetGrain<ILockGrain>(name);
        var result = await LongPoll.AcquireAsync(
            http,
            shutdown,
            wait,
            () => grain.TryAcquire(owner, leaseId, ttl),
            token => grain.Acquire(owner, leaseId, ttl, wait, token),
            () => grain.AbandonLease(leaseId),
            r => r.Acquired);
        if (result is null)
        {
            return shutdown.IsStopping ? LongPoll.ShuttingDown() : TypedResults.Empty;
        }

        return result.Acquired
            ? TypedResults.Ok(new LockGrantResponse(leaseId, result.FencingToken, result.ExpiresAt?.UtcDateTime, result.Holder, OutcomeName(result.Outcome)))
            : Problems.Busy($"Lock '{name}' is held by '{result.Holder}'{LongPoll.WithinWait(wait, "was not released")}.", result.Holder, result.ExpiresAt);
    }

    private static async Task<Results<Ok<LockRefreshResponse>, ProblemHttpResult>> RefreshAsync(string name, [FromBody] LeaseRefreshRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var request = HttpArguments.Body(body);
        var leaseId = HttpArguments.LeaseId(request.LeaseId);
        var ttl = HttpArguments.RequiredDuration(request.Ttl, "ttl");
        var result = await grains.GetGrain<ILockGrain>(name).RefreshLease(leaseId, ttl);
        return result.Acquired
            ? TypedResults.Ok(new LockRefreshResponse(leaseId, result.FencingToken, result.ExpiresAt?.UtcDateTime))
            : Problems.NotHolder($"This lease is not the valid lease of lock '{name}' (it expired, was released or was never granted); acquire again.");
    }

    private static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> ReleaseAsync(string name, [FromBody] LeaseReleaseRequest? body, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var leaseId = HttpArguments.LeaseId(HttpArguments.Body(body).LeaseId);
        var result = await grains.GetGrain<ILockGrain>(name).ReleaseLease(leaseId);
        return result.Outcome switch
        {
            LockOutcome.Released => TypedResults.Ok(new ReleaseResponse(true)),
            LockOutcome.AlreadyReleased => TypedResults.Ok(new ReleaseResponse(false)),
            _ => Problems.NotHolder($"This lease does not hold lock '{name}'; nothing was released."),
        };
    }

    private static async Task<Ok<LockStatusResponse>> DescribeAsync(string name, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var lockState = await grains.GetGrain<ILockGrain>(name).Describe();
        return TypedResults.Ok(ToResponse(lockState));
    }

    private static async Task<Ok<ReleaseResponse>> ForceReleaseAsync(string name, IGrainFactory grains)
    {
        LockArguments.ValidateName(name);
        var result = await grains.GetGrain<ILockGrain>(name).ForceRelease();
        return TypedResults.Ok(new ReleaseResponse(result.Outcome == LockOutcome.Released));
    }

    /// <summary>The API's view of a lock's state (also the data of the watch route's events).</summary>
    public static LockStatusResponse ToResponse(LockDescription description) =>
        new(description.LockName, description.Holder, description.FencingToken, description.ExpiresAt?.UtcDateTime, description.WaitingCount);

    /// <summary>The outcome's name in responses: <c>granted</c> or <c>renewed</c>.</summary>
    internal static string OutcomeName(LockOutcome outcome) => outcome == LockOutcome.Renewed ? "renewed" : "granted";
}
