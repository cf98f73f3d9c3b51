using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LockService.Http;

/// <summary>The problem responses the OpenAPI document lists per kind of route, so every primitive's routes say the same.</summary>
public static class EndpointConventions
{
    /// <summary>A call on a lease: 400 validation, 409 (busy or not the holder), 503 storage failure.</summary>
    public static RouteHandlerBuilder ProducesLeaseProblems(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>An acquisition that may wait: the lease problems and 429 when the wait queue is full.</summary>
    public static RouteHandlerBuilder ProducesAcquireProblems(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesLeaseProblems().ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>An operator call: 400 validation, 503 storage failure.</summary>
    public static RouteHandlerBuilder ProducesOperatorProblems(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
