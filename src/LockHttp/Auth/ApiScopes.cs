namespace LockService.Http.Auth;

/// <summary>
/// What an API key may do. Each scope is also the name of the authorization policy that requires it, so a route says
/// <c>.RequireAuthorization(ApiScopes.Queue)</c>. <see cref="Admin"/> implies every other scope.
/// </summary>
public static class ApiScopes
{
    /// <summary>Locks and semaphores: acquire, refresh, release, status, watch.</summary>
    public const string Lock = "lock";

    /// <summary>Work queues: enqueue, claim, complete, abandon, extend, stats, listings.</summary>
    public const string Queue = "queue";

    /// <summary>Operator calls (force-release, semaphore limits, queue retry and purge); implies the others.</summary>
    public const string Admin = "admin";

    /// <summary>The claim type a key's scopes are carried in.</summary>
    public const string ClaimType = "scope";

    /// <summary>Every scope a key may be given.</summary>
    public static readonly IReadOnlyList<string> All = [Lock, Queue, Admin];
}
