using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Http.Auth;

/// <summary>API-key authentication and the scope policies of the HTTP API.</summary>
public static class LockServiceHttpAuthExtensions
{
    /// <summary>
    /// Registers the API-key scheme (<see cref="ApiKeyTable"/> from <paramref name="options"/>), one authorization policy
    /// per scope (<see cref="ApiScopes"/>; admin satisfies each), and a fallback policy that requires a key on every
    /// endpoint that does not say otherwise: only the endpoints marked <c>AllowAnonymous</c> (health, OpenAPI) are open.
    /// </summary>
    public static IServiceCollection AddLockServiceHttpAuth(this IServiceCollection services, HttpApiOptions options)
    {
        services.AddSingleton(new ApiKeyTable(options));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization(authorization =>
        {
            authorization.AddPolicy(ApiScopes.Lock, policy => policy.RequireClaim(ApiScopes.ClaimType, ApiScopes.Lock, ApiScopes.Admin));
            authorization.AddPolicy(ApiScopes.Queue, policy => policy.RequireClaim(ApiScopes.ClaimType, ApiScopes.Queue, ApiScopes.Admin));
            authorization.AddPolicy(ApiScopes.Admin, policy => policy.RequireClaim(ApiScopes.ClaimType, ApiScopes.Admin));
            authorization.FallbackPolicy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build();
        });
        return services;
    }

    /// <summary>Authentication, then the scope checks: after the problem mapping, before the routes.</summary>
    public static WebApplication UseLockServiceHttpAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
