namespace LockService.Client;

/// <summary>Renews a lock's lease by its lease id (the secret only the holder knows).</summary>
internal sealed class LockLeaseRenewer(ILockGrain grain, string leaseId) : ILeaseRenewer
{
    public async Task<LeaseRenewal> RenewAsync(TimeSpan ttl)
    {
        var result = await grain.RefreshLease(leaseId, ttl).ConfigureAwait(false);
        return result.Outcome == LockOutcome.Renewed
            ? LeaseRenewal.Renewed(result.ExpiresAt!.Value)
            : LeaseRenewal.Refused($"the lock refused the refresh ({result.Outcome}; holder now {result.Holder ?? "nobody"})");
    }
}
