using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LockService.Http.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against the <see cref="ApiKeyTable"/>: the caller gets the
/// key's scopes as claims. Without configured keys (an open API: loopback, or <c>--insecure-http</c>) every caller has
/// every scope. A refusal is answered with problem details (401 unauthorized, 403 forbidden) that say what was
/// missing, never with the key: it is neither logged nor echoed.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyTable keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The authentication scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (keys.IsOpen)
        {
            return Task.FromResult(Success(ApiScopes.All));
        }

        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header must be 'Bearer <key>'"));
        }

        // The failure messages below are logged by the framework: they never include the key.
        var scopes = header[BearerPrefix.Length..].Trim() is { Length: > 0 } key ? keys.ScopesOf(key) : null;
        return Task.FromResult(scopes is null ? AuthenticateResult.Fail("the API key is not one this service knows") : Success(scopes));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = result.Failure is { } failure
            ? $"Refused: {failure.Message}."
            : "This route needs an API key: send 'Authorization: Bearer <key>'.";
        await Problems.Unauthorized(detail).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>()
            .Select(data => data.Policy)
            .OfType<string>()
            .Distinct()
            .ToList() ?? [];
        var detail = needed.Count > 0
            ? $"This API key lacks the scope this route needs ({string.Join(" and ", needed)}); admin implies every scope."
            : "This API key may not use this route.";
        return Problems.Forbidden(detail).ExecuteAsync(Context);
    }

    private AuthenticateResult Success(IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(scopes.Select(scope => new Claim(ApiScopes.ClaimType, scope)), SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
