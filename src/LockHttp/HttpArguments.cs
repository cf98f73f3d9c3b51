using Microsoft.AspNetCore.Http;

namespace LockService.Http;

/// <summary>
/// The HTTP-only input rules (durations as text, the 55 s long-poll bound, a required body or field) and the defaults
/// the API fills in. A broken rule throws <see cref="ArgumentException"/> with the JSON field as its parameter name,
/// which <see cref="Problems.FromException"/> answers as 400 validation; the grains' own rules apply after these.
/// </summary>
public static class HttpArguments
{
    /// <summary>
    /// Longest long-poll: under nginx's default 60 s <c>proxy_read_timeout</c>, so a proxy never cuts a wait that the
    /// server would still answer.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(55);

    /// <summary>The body, or a validation error when the request had none.</summary>
    /// <typeparam name="T">The body's type.</typeparam>
    public static T Body<T>(T? body) where T : class =>
        body ?? throw new ArgumentException("A JSON body is required.", "body");

    /// <summary>A required, positive duration such as <c>30s</c>.</summary>
    public static TimeSpan RequiredDuration(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"{field} is required: a duration like 30s, 500ms or 2m.", field);
        }

        if (!Durations.TryParse(text, out var duration) || duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{field} must be a positive duration like 30s, 500ms or 2m (was '{text}').", field);
        }

        return duration;
    }

    /// <summary>The long-poll wait: zero when absent, otherwise a duration of at most <see cref="MaxWait"/>.</summary>
    public static TimeSpan Wait(string? text, string field = "wait")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TimeSpan.Zero;
        }

        if (!Durations.TryParse(text, out var wait))
        {
            throw new ArgumentException($"{field} must be a duration like 10s or 0s (was '{text}').", field);
        }

        if (wait > MaxWait)
        {
            throw new ArgumentException($"{field} must be at most {MaxWait.TotalSeconds:0}s, under a proxy's 60 s read timeout; call again to wait longer (was '{text}').", field);
        }

        return wait;
    }

    /// <summary>A required field.</summary>
    /// <typeparam name="T">The field's type.</typeparam>
    public static T Required<T>(T? value, string field, string what) where T : struct =>
        value ?? throw new ArgumentException($"{field} is required: {what}.", field);

    /// <summary>A required lease id, checked against the lease-id rules.</summary>
    public static string LeaseId(string? leaseId)
    {
        if (string.IsNullOrEmpty(leaseId))
        {
            throw new ArgumentException("leaseId is required: the lease id acquire returned.", "leaseId");
        }

        LeaseIds.Validate(leaseId);
        return leaseId;
    }

    /// <summary>The caller's lease id, checked, or a new one when it gave none.</summary>
    public static string LeaseIdOrNew(string? leaseId) => leaseId is null ? LeaseIds.New() : LeaseId(leaseId);

    /// <summary>
    /// The common fields of an acquisition, checked: the name, the owner label (or the default), a required TTL, the
    /// long-poll wait (zero: one try) and the lease id (or a new one).
    /// </summary>
    public static (string Owner, TimeSpan Ttl, TimeSpan Wait, string LeaseId) Acquisition(
        string name, string? owner, string? ttl, string? wait, string? leaseId, HttpContext http)
    {
        LockArguments.ValidateName(name);
        return (Owner(owner, http), RequiredDuration(ttl, "ttl"), Wait(wait), LeaseIdOrNew(leaseId));
    }

    /// <summary>The caller's owner label, checked, or <c>http:&lt;client address&gt;</c>.</summary>
    public static string Owner(string? owner, HttpContext http)
    {
        owner ??= $"http:{http.Connection.RemoteIpAddress}";
        LockArguments.ValidateOwner(owner);
        return owner;
    }
}
