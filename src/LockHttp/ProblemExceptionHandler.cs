using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LockService.Http;

/// <summary>
/// Answers every exception that reaches the pipeline with problem details (<see cref="Problems.FromException"/>);
/// an unexpected one becomes a 500 without details and is logged here. A stack trace never reaches a client.
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left; nobody reads an answer.
            return true;
        }

        var result = Problems.FromException(exception);
        if (result is null)
        {
            LogUnexpected(exception, httpContext.Request.Method, httpContext.Request.Path);
            result = Problems.Internal();
        }

        await result.ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} {Path} failed unexpectedly; answered 500.")]
    private partial void LogUnexpected(Exception exception, string method, string path);
}
