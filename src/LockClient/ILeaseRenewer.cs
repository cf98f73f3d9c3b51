namespace LockService.Client;

/// <summary>
/// The server side of one held lease, as <see cref="LeaseKeeper"/> renews it: a lock's or a semaphore's. The keeper
/// owns the timing (renewal schedule, local deadline, loss timer); this only makes the call and reads its answer.
/// </summary>
internal interface ILeaseRenewer
{
    /// <summary>Extends the lease to <paramref name="ttl"/> from now on the server.</summary>
    Task<LeaseRenewal> RenewAsync(TimeSpan ttl);
}

/// <summary>The answer to one renewal: the server's new expiry, or why the lease is gone.</summary>
/// <param name="ExpiresAt">When the renewed lease ends (silo clock); meaningful only when <paramref name="Refusal"/> is null.</param>
/// <param name="Refusal">Why the server refused (the lease is lost), or <see langword="null"/> when it renewed.</param>
internal readonly record struct LeaseRenewal(DateTimeOffset ExpiresAt, string? Refusal)
{
    public static LeaseRenewal Renewed(DateTimeOffset expiresAt) => new(expiresAt, null);

    public static LeaseRenewal Refused(string reason) => new(default, reason);
}
