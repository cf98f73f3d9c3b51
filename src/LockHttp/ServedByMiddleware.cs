using Microsoft.AspNetCore.Http;
using Orleans.Runtime;

namespace LockService.Http;

/// <summary>
/// Adds <c>X-Served-By: &lt;silo name&gt;</c> to every response, errors included, so a client behind a load balancer
/// can tell which silo answered.
/// </summary>
internal sealed class ServedByMiddleware(RequestDelegate next, ILocalSiloDetails silo)
{
    /// <summary>The header's name.</summary>
    public const string HeaderName = "X-Served-By";

    private readonly string _name = string.IsNullOrEmpty(silo.Name) ? silo.SiloAddress.ToString() : silo.Name;

    public Task InvokeAsync(HttpContext context)
    {
        // Set as the response starts: the exception handler clears headers set before it runs.
        context.Response.OnStarting(static state =>
        {
            var (response, name) = ((HttpResponse, string))state;
            response.Headers[HeaderName] = name;
            return Task.CompletedTask;
        }, (context.Response, _name));
        return next(context);
    }
}
