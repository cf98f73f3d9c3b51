using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using LockService.Http.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LockService.Http;

/// <summary>Adds the HTTP API's services to a silo hosted in a <see cref="WebApplicationBuilder"/>.</summary>
public static class LockServiceHttpBuilderExtensions
{
    /// <summary>
    /// Kestrel on <see cref="HttpApiOptions.Address"/>:<see cref="HttpApiOptions.Port"/> with a 64 KiB body limit, JSON
    /// in camelCase, problem details for every error, health checks (<c>/healthz</c>, <c>/readyz</c>) and the OpenAPI
    /// document. Map the routes with <see cref="LockServiceHttpEndpointExtensions.MapLockServiceHttp"/>.
    /// </summary>
    /// <param name="builder">The silo's web application builder (the silo itself is added with <c>UseOrleans</c>).</param>
    /// <param name="options">The HTTP settings, already validated.</param>
    /// <param name="storageConnectionString">
    /// The silo's PostgreSQL connection string, which <c>/readyz</c> checks with a cheap query; <see langword="null"/>
    /// for a development silo (in-memory storage is always reachable).
    /// </param>
    public static WebApplicationBuilder AddLockServiceHttp(this WebApplicationBuilder builder, HttpApiOptions options, string? storageConnectionString)
    {
        builder.WebHost.UseKestrelCore();
        if (HttpsPem.IsConfigured(options))
        {
            // The core Kestrel leaves HTTPS out until asked for.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = HttpApiOptions.MaxRequestBodySize;
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen => listen.UseHttpsFromPem(options));
        });

        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddRouting();
        // Binding failures (bad JSON, a missing body) throw, so ProblemExceptionHandler answers them as problem details.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            // The document describes the API, not the silo that served it: no server URL, so every silo (and the
            // committed docs/openapi.json) has the same document.
            document.Servers?.Clear();
            document.Info.Title = "Lock service HTTP API";
            document.Info.Description = "Locks, semaphores and work queues over HTTP/JSON. Errors are RFC 9457 problem details.";
            return Task.CompletedTask;
        }));
        services.AddSingleton<HttpShutdown>();
        services.AddHostedService<HttpDrain>();
        services.AddSingleton(new StorageProbe(storageConnectionString));
        services.AddHealthChecks()
            .AddCheck<SiloReadinessCheck>("silo", tags: [SiloReadinessCheck.ReadyTag])
            .AddCheck<StorageReadinessCheck>("storage", tags: [SiloReadinessCheck.ReadyTag]);
        services.AddLockServiceHttpAuth(options);
        return builder;
    }
}
