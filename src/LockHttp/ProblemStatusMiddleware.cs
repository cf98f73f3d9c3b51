using Microsoft.AspNetCore.Http;

namespace LockService.Http;

/// <summary>
/// Problem details where the framework would answer with an empty body: a declared body over 64 KiB (413 before
/// anything is read), and an unknown route (404) or method (405).
/// </summary>
internal sealed class ProblemStatusMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > HttpApiOptions.MaxRequestBodySize)
        {
            await Problems.TooLarge().ExecuteAsync(context);
            return;
        }

        await next(context);

        if (context.Response.HasStarted || context.Response.ContentLength > 0 || context.Response.ContentType is not null)
        {
            return;
        }

        if (context.Response.StatusCode == StatusCodes.Status404NotFound)
        {
            await Problems.NotFound($"No route {context.Request.Method} {context.Request.Path}.").ExecuteAsync(context);
        }
        else if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            await Problems.MethodNotAllowed($"{context.Request.Method} is not allowed on {context.Request.Path}.").ExecuteAsync(context);
        }
    }
}
