using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LockService.Http;

/// <summary>
/// Reads every request body under <c>/v1</c> as JSON, whatever Content-Type it declares: <c>curl -d '{...}'</c> sends
/// <c>application/x-www-form-urlencoded</c>, and the API takes nothing but JSON, so refusing it with 415 would only
/// trip up shell users. A body that is not JSON still gets a 400 naming the problem.
/// </summary>
internal sealed class JsonBodyMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(LockServiceHttpEndpointExtensions.BasePath)
            && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            && !context.Request.HasJsonContentType())
        {
            context.Request.ContentType = "application/json";
        }

        return next(context);
    }
}
