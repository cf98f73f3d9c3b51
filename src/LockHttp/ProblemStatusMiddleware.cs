using Microsoft.AspNetCore.Http;

namespace LockService.Http;

/// <summary>
/// Problem details where the framework would answer with an empty body: a declared body over 64 KiB (413 before
/// anything is read), an unknown route (404) or method (405), and a body the route handler could not read (400, 413).
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

        var problem = context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => Problems.NotFound($"No route {context.Request.Method} {context.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => Problems.MethodNotAllowed($"{context.Request.Method} is not allowed on {context.Request.Path}."),
            // Kestrel's body limit hit while the route handler read a body sent without a Content-Length.
            StatusCodes.Status413PayloadTooLarge => Problems.TooLarge(),
            StatusCodes.Status400BadRequest => (IResult)Problems.Validation("body", "the request body could not be read."),
            StatusCodes.Status415UnsupportedMediaType => Problems.Validation("body", "the request body must be JSON."),
            _ => null,
        };
        if (problem is not null)
        {
            await problem.ExecuteAsync(context);
        }
    }
}
