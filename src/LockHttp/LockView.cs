namespace LockService.Http;

/// <summary>A lock's state as the API shows it (<c>GET /v1/locks/{name}</c>, and each <c>holder</c> event of a watch).</summary>
/// <param name="Name">The lock's name.</param>
/// <param name="Holder">The owner holding a valid lease, or null when the lock is free.</param>
/// <param name="FencingToken">The holder's token when held; otherwise the last token granted (0 if never).</param>
/// <param name="ExpiresAt">When the lease ends unless refreshed (RFC 3339, UTC), or null when free.</param>
/// <param name="Waiters">How many callers wait in the lock's queue.</param>
public sealed record LockView(string Name, string? Holder, long FencingToken, DateTime? ExpiresAt, int Waiters)
{
    /// <summary>The view of a grain's <see cref="LockDescription"/>.</summary>
    public static LockView Of(LockDescription state) =>
        new(state.LockName, state.Holder, state.FencingToken, state.ExpiresAt?.UtcDateTime, state.WaitingCount);
}
