namespace LockService.Http;

/// <summary>
/// The stable <c>type</c> URIs of the HTTP API's problem details (RFC 9457): clients branch on these, never on the
/// title or detail text.
/// </summary>
public static class ProblemKinds
{
    /// <summary>The prefix every problem type shares.</summary>
    public const string TypeBase = "https://lockservice.dev/problems/";

    /// <summary>409: someone else holds the lock or every slot (extensions <c>holder</c>, <c>expiresAt</c>).</summary>
    public const string Busy = TypeBase + "busy";

    /// <summary>409: the lease presented is not the valid lease (expired, released, never granted).</summary>
    public const string NotHolder = TypeBase + "not-holder";

    /// <summary>409: a task's claim is no longer this worker's.</summary>
    public const string LeaseLost = TypeBase + "lease-lost";

    /// <summary>409: a semaphore was asked with another limit than its stored one (extension <c>storedMax</c>).</summary>
    public const string LimitMismatch = TypeBase + "limit-mismatch";

    /// <summary>400: bad input; <c>errors</c> names each field and the rule it broke.</summary>
    public const string Validation = TypeBase + "validation";

    /// <summary>401: no API key, or not a known one.</summary>
    public const string Unauthorized = TypeBase + "unauthorized";

    /// <summary>403: the key lacks the route's scope.</summary>
    public const string Forbidden = TypeBase + "forbidden";

    /// <summary>413: the request body is over 64 KiB.</summary>
    public const string TooLarge = TypeBase + "too-large";

    /// <summary>429: the wait queue or work queue is full (with <c>Retry-After</c>).</summary>
    public const string QueueFull = TypeBase + "queue-full";

    /// <summary>503: storage failed (the call failed closed) or the silo is shutting down (with <c>Retry-After</c>).</summary>
    public const string Unavailable = TypeBase + "unavailable";

    /// <summary>404: no such route or resource.</summary>
    public const string NotFound = TypeBase + "not-found";

    /// <summary>500: an unexpected error; logged on the silo, never described to the client.</summary>
    public const string Internal = TypeBase + "internal";
}
