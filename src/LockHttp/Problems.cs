using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;

namespace LockService.Http;

/// <summary>
/// Builds the API's problem details and maps what a grain call can throw to one of them. Every error response of the
/// API comes from here, so the kinds, statuses and Retry-After rules are in one place (see <see cref="ProblemKinds"/>).
/// </summary>
public static class Problems
{
    /// <summary>How long a client should wait before retrying after a storage failure or a shutdown.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long a client should wait before retrying a full queue.</summary>
    public static readonly TimeSpan QueueFullRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>409 busy, with who holds it and until when.</summary>
    public static ProblemHttpResult Busy(string detail, string? holder, DateTimeOffset? expiresAt) =>
        Problem(StatusCodes.Status409Conflict, ProblemKinds.Busy, "Busy", detail, new Dictionary<string, object?>
        {
            ["holder"] = holder,
            ["expiresAt"] = expiresAt?.UtcDateTime,
        });

    /// <summary>409 not-holder.</summary>
    public static ProblemHttpResult NotHolder(string detail) =>
        Problem(StatusCodes.Status409Conflict, ProblemKinds.NotHolder, "Not the holder", detail);

    /// <summary>409 lease-lost.</summary>
    public static ProblemHttpResult LeaseLost(string detail) =>
        Problem(StatusCodes.Status409Conflict, ProblemKinds.LeaseLost, "Lease lost", detail);

    /// <summary>409 limit-mismatch, with the stored limit.</summary>
    public static ProblemHttpResult LimitMismatch(string detail, int storedMax) =>
        Problem(StatusCodes.Status409Conflict, ProblemKinds.LimitMismatch, "Limit mismatch", detail, new Dictionary<string, object?>
        {
            ["storedMax"] = storedMax,
        });

    /// <summary>400 validation naming <paramref name="field"/> and the <paramref name="rule"/> it broke.</summary>
    public static ValidationProblem Validation(string field, string rule) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [rule] },
            detail: $"{field}: {rule}",
            title: "Invalid request",
            type: ProblemKinds.Validation);

    /// <summary>401 unauthorized.</summary>
    public static ProblemHttpResult Unauthorized(string detail) =>
        Problem(StatusCodes.Status401Unauthorized, ProblemKinds.Unauthorized, "Unauthorized", detail);

    /// <summary>403 forbidden.</summary>
    public static ProblemHttpResult Forbidden(string detail) =>
        Problem(StatusCodes.Status403Forbidden, ProblemKinds.Forbidden, "Forbidden", detail);

    /// <summary>413 too-large.</summary>
    public static ProblemHttpResult TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, ProblemKinds.TooLarge, "Request body too large",
            $"The request body must be at most {HttpApiOptions.MaxRequestBodySize / 1024} KiB.");

    /// <summary>404 not-found.</summary>
    public static ProblemHttpResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, ProblemKinds.NotFound, "Not found", detail);

    /// <summary>405 for a known path with another method (kind not-found: no such route).</summary>
    public static ProblemHttpResult MethodNotAllowed(string detail) =>
        Problem(StatusCodes.Status405MethodNotAllowed, ProblemKinds.NotFound, "Method not allowed", detail);

    /// <summary>429 queue-full with Retry-After.</summary>
    public static RetryAfterResult QueueFull(string detail) =>
        new(Problem(StatusCodes.Status429TooManyRequests, ProblemKinds.QueueFull, "Queue full", detail), QueueFullRetryAfter);

    /// <summary>503 unavailable with Retry-After: storage failed (nothing was granted) or the silo is stopping.</summary>
    public static RetryAfterResult Unavailable(string detail) =>
        new(Problem(StatusCodes.Status503ServiceUnavailable, ProblemKinds.Unavailable, "Service unavailable", detail), UnavailableRetryAfter);

    /// <summary>500 with no details: the cause is in the silo's log, never in the response.</summary>
    public static ProblemHttpResult Internal() =>
        Problem(StatusCodes.Status500InternalServerError, ProblemKinds.Internal, "Internal error",
            "The server failed to handle the request; the cause is in its log.");

    /// <summary>
    /// The problem for an exception a grain call or the request's binding threw, or <see langword="null"/> for an
    /// unexpected one (a 500, logged by the caller).
    /// </summary>
    public static IResult? FromException(Exception exception) => exception switch
    {
        SemaphoreLimitMismatchException mismatch => LimitMismatch(mismatch.Message, mismatch.StoredMaxCount),
        LockQueueFullException full => QueueFull(full.Message),
        LockStorageException storage => Unavailable(storage.Message),
        TaskLeaseLostException lost => LeaseLost(lost.Message),
        ArgumentException argument => Validation(FieldOf(argument), RuleOf(argument)),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(),
        BadHttpRequestException bad => Validation(BodyField(bad), BodyRule(bad)),
        // A JSON body that reached the handler and did not bind (outside the route handler's own reading).
        JsonException json => Validation("body", $"the body must be JSON: {FirstLine(json.Message)}"),
        // The grain's silo is stopping or gone, or the call timed out: the outcome is unknown, the client retries.
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException => Unavailable("The lock service could not complete the call; retry with the same leaseId."),
        _ => null,
    };

    // Grain parameter names and the rule texts' subjects, in the API's field names.
    private static readonly Dictionary<string, string> FieldNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["timeout"] = "wait",
        ["maxCount"] = "max",
        ["max count"] = "max",
        ["lock name"] = "name",
        ["semaphore name"] = "name",
        ["lease id"] = "leaseId",
        ["leaseId"] = "leaseId",
        ["ttl"] = "ttl",
        ["owner"] = "owner",
        ["name"] = "name",
    };

    private static string FieldOf(ArgumentException exception)
    {
        if (exception.ParamName is { Length: > 0 } parameter)
        {
            return FieldNames.GetValueOrDefault(parameter, parameter);
        }

        // Across the wire the parameter name may be lost; every rule text starts with "Invalid <subject>:".
        var rule = RuleOf(exception);
        if (rule.StartsWith("Invalid ", StringComparison.Ordinal) && rule.IndexOf(':') is > 8 and var colon)
        {
            var subject = rule[8..colon];
            return FieldNames.GetValueOrDefault(subject, subject);
        }

        return "request";
    }

    // The rule without the runtime's " (Parameter 'x')" and "Actual value was" tails, which a message that crossed
    // the wire carries in its text even when the parameter name itself was not kept.
    private static string RuleOf(ArgumentException exception)
    {
        var message = FirstLine(exception.Message);
        var tail = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return tail > 0 && message.EndsWith("')", StringComparison.Ordinal) ? message[..tail] : message;
    }

    private static string BodyRule(BadHttpRequestException exception) => exception.InnerException switch
    {
        JsonException json => $"the body must be a JSON object with the documented fields: {FirstLine(json.Message)}",
        _ when exception.Message.Contains("was not provided", StringComparison.Ordinal) => "A JSON body is required.",
        _ => FirstLine(exception.Message),
    };

    // A JSON value of the wrong type names its field (STJ's message ends in "Path: $.ttl | LineNumber: ...").
    private static string BodyField(BadHttpRequestException exception) =>
        exception.InnerException is JsonException { Path: { Length: > 2 } path } json
        && json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
        && path.StartsWith("$.", StringComparison.Ordinal)
            ? path[2..]
            : "body";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd('\r');

    private static ProblemHttpResult Problem(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);
}

/// <summary>A problem response with a <c>Retry-After</c> header (seconds), for 429 and 503.</summary>
/// <param name="problem">The problem sent.</param>
/// <param name="retryAfter">The wait the client is asked to keep before retrying.</param>
public sealed class RetryAfterResult(ProblemHttpResult problem, TimeSpan retryAfter) : IResult, IStatusCodeHttpResult
{
    /// <summary>The problem sent.</summary>
    public ProblemHttpResult Problem { get; } = problem;

    /// <summary>The wait the client is asked to keep before retrying.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <inheritdoc />
    public int? StatusCode => Problem.StatusCode;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem.ExecuteAsync(httpContext);
    }
}
