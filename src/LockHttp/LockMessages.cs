namespace LockService.Http;

/// <summary>Body of <c>POST /v1/locks/{name}/acquire</c>.</summary>
/// <param name="Owner">A label for people (logs, status); defaults to <c>http:&lt;client address&gt;</c>.</param>
/// <param name="Ttl">Lease length, like <c>30s</c>; required.</param>
/// <param name="Wait">How long to wait in the lock's fair queue, at most <c>55s</c>; absent or <c>0s</c>: one try.</param>
/// <param name="LeaseId">The lease's secret id (22 to 128 URL-safe characters); absent: the server makes one. Asking again with it is idempotent.</param>
public sealed record LockAcquireRequest(string? Owner, string? Ttl, string? Wait, string? LeaseId);

/// <summary>Body of <c>POST /v1/locks/{name}/refresh</c> and <c>/v1/semaphores/{name}/refresh</c>.</summary>
/// <param name="LeaseId">The lease to extend.</param>
/// <param name="Ttl">The new lease length from now, like <c>30s</c>.</param>
public sealed record LeaseRefreshRequest(string? LeaseId, string? Ttl);

/// <summary>Body of <c>POST /v1/locks/{name}/release</c> and <c>/v1/semaphores/{name}/release</c>.</summary>
/// <param name="LeaseId">The lease to end.</param>
public sealed record LeaseReleaseRequest(string? LeaseId);

/// <summary>A lock held by the caller: the answer to acquire.</summary>
/// <param name="LeaseId">The lease's id: present it to refresh and release. A secret; shown only to its holder.</param>
/// <param name="FencingToken">Grows with every grant of this lock; present it to the resource the lock protects.</param>
/// <param name="ExpiresAt">When the lease ends unless refreshed (RFC 3339, UTC).</param>
/// <param name="Holder">The owner label the lease is held under.</param>
/// <param name="Outcome"><c>granted</c> (a new lease) or <c>renewed</c> (this lease id already held it: extended, same token).</param>
public sealed record LockGrantResponse(string LeaseId, long FencingToken, DateTime? ExpiresAt, string? Holder, string Outcome);

/// <summary>An extended lease: the answer to refresh.</summary>
/// <param name="LeaseId">The lease's id.</param>
/// <param name="FencingToken">The lease's fencing token, unchanged by a refresh.</param>
/// <param name="ExpiresAt">When the lease now ends (RFC 3339, UTC).</param>
public sealed record LockRefreshResponse(string LeaseId, long FencingToken, DateTime? ExpiresAt);

/// <summary>The answer to release and force-release.</summary>
/// <param name="Released">True when this call ended the lease; false when it had ended already.</param>
public sealed record ReleaseResponse(bool Released);

/// <summary>A lock's state: the answer to <c>GET /v1/locks/{name}</c>. Lease ids are never shown.</summary>
/// <param name="Name">The lock's name.</param>
/// <param name="Holder">The owner label of the valid lease, or null when the lock is free.</param>
/// <param name="FencingToken">The holder's token, or the last token granted (0 if never).</param>
/// <param name="ExpiresAt">When the valid lease ends unless refreshed, or null when free.</param>
/// <param name="Waiters">How many callers wait in the lock's queue.</param>
public sealed record LockStatusResponse(string Name, string? Holder, long FencingToken, DateTime? ExpiresAt, int Waiters);
