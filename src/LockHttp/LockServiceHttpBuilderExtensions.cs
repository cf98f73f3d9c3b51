using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using LockService.Http.Auth;
using Microsoft.AspNetCore.Http.Json;
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
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = HttpApiOptions.MaxRequestBodySize;
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen => listen.UseHttpsFromPem(options));
        });

        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddRouting();
        services.Configure<JsonOptions>(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        // Binding failures (bad JSON, a missing body) throw, so ProblemExceptionHandler answers them as problem details.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddOpenApi();
        services.AddSingleton<HttpShutdown>();
        services.AddSingleton(new StorageProbe(storageConnectionString));
        services.AddHealthChecks()
            .AddCheck<SiloReadinessCheck>("silo", tags: [SiloReadinessCheck.ReadyTag])
            .AddCheck<StorageReadinessCheck>("storage", tags: [SiloReadinessCheck.ReadyTag]);
        services.AddLockServiceHttpAuth(options);
        return builder;
    }
}
