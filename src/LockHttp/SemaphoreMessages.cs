namespace LockService.Http;

/// <summary>Body of <c>POST /v1/semaphores/{name}/acquire</c>.</summary>
/// <param name="Owner">A label for people; defaults to <c>http:&lt;client address&gt;</c>.</param>
/// <param name="Max">The semaphore's limit; every client of one semaphore must give the same.</param>
/// <param name="Ttl">Lease length, like <c>30s</c>; required.</param>
/// <param name="Wait">How long to wait in the fair queue, at most <c>55s</c>; absent or <c>0s</c>: one try.</param>
/// <param name="LeaseId">The lease's secret id; absent: the server makes one. Asking again with it is idempotent.</param>
public sealed record SemaphoreAcquireRequest(string? Owner, int? Max, string? Ttl, string? Wait, string? LeaseId);

/// <summary>Body of <c>POST /v1/semaphores/{name}/force-release</c>.</summary>
/// <param name="Slot">The slot whose lease ends; absent: every lease.</param>
public sealed record SemaphoreForceReleaseRequest(int? Slot);

/// <summary>Body of <c>POST /v1/semaphores/{name}/limit</c>.</summary>
/// <param name="Max">The new limit.</param>
public sealed record SemaphoreLimitRequest(int? Max);

/// <summary>A slot held by the caller: the answer to acquire and refresh.</summary>
/// <param name="LeaseId">The lease's id: present it to refresh and release. A secret; shown only to its holder.</param>
/// <param name="Slot">The lease's slot, 0 to max−1.</param>
/// <param name="FencingToken">The lease's fencing token (grows per semaphore name).</param>
/// <param name="ExpiresAt">When the lease ends unless refreshed (RFC 3339, UTC).</param>
/// <param name="Outcome"><c>granted</c>, or <c>renewed</c> (extended, same slot and token).</param>
public sealed record SemaphoreGrantResponse(string LeaseId, int? Slot, long FencingToken, DateTime? ExpiresAt, string Outcome);

/// <summary>The answer to a semaphore's force-release.</summary>
/// <param name="ReleasedLeases">How many leases the call ended.</param>
public sealed record SemaphoreForceReleaseResponse(int ReleasedLeases);

/// <summary>A semaphore's state: the answer to <c>GET /v1/semaphores/{name}</c> and to a limit change. Lease ids are never shown.</summary>
/// <param name="Name">The semaphore's name.</param>
/// <param name="Max">The limit (0 before the first grant).</param>
/// <param name="FencingToken">The highest token granted (0 if never).</param>
/// <param name="Holders">The valid leases, by slot.</param>
/// <param name="Waiters">How many callers wait in the queue.</param>
public sealed record SemaphoreStatusResponse(string Name, int Max, long FencingToken, IReadOnlyList<SemaphoreHolderResponse> Holders, int Waiters);

/// <summary>One valid lease of a semaphore.</summary>
/// <param name="Owner">Its owner label.</param>
/// <param name="Slot">Its slot.</param>
/// <param name="FencingToken">Its fencing token.</param>
/// <param name="AcquiredAt">When it was granted (RFC 3339, UTC).</param>
/// <param name="ExpiresAt">When it ends unless refreshed (RFC 3339, UTC).</param>
public sealed record SemaphoreHolderResponse(string Owner, int Slot, long FencingToken, DateTime AcquiredAt, DateTime ExpiresAt);
