using LockService.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>Maps the HTTP API's middleware and routes onto a silo's <see cref="WebApplication"/>.</summary>
public static class LockServiceHttpEndpointExtensions
{
    /// <summary>The base path of every versioned route.</summary>
    public const string BasePath = "/v1";

    /// <summary>
    /// Problem details for errors, the <c>X-Served-By</c> header, the 64 KiB body limit, <c>/healthz</c>,
    /// <c>/readyz</c>, <c>/openapi/v1.json</c>, and the route groups under <c>/v1</c>: locks, semaphores, queues and watch.
    /// </summary>
    public static WebApplication MapLockServiceHttp(this WebApplication app)
    {
        // Outermost, so even an error answer is signed.
        app.UseMiddleware<ServedByMiddleware>();
        app.UseExceptionHandler();
        app.UseMiddleware<ProblemStatusMiddleware>();
        app.UseMiddleware<JsonBodyMiddleware>();
        // Routing after the body's content type is settled: endpoint selection answers 415 for a non-JSON one.
        app.UseRouting();
        // Authentication and the scope checks need the selected endpoint: after routing, before the routes run.
        app.UseLockServiceHttpAuth();

        // Anonymous: probes and tooling carry no key. Every other endpoint needs one (the fallback policy).
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(SiloReadinessCheck.ReadyTag) }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();

        var v1 = app.MapGroup(BasePath);
        // Scope lock for locks and semaphores (their operator routes also need admin), queue for work queues.
        var lockScope = v1.MapGroup("").RequireAuthorization(ApiScopes.Lock);
        lockScope.MapLockEndpoints();
        lockScope.MapSemaphoreEndpoints();
        lockScope.MapWatchEndpoints();
        v1.MapGroup("").RequireAuthorization(ApiScopes.Queue).MapQueueEndpoints();
        return app;
    }
}
