namespace LockService.Client;

/// <summary>Renews a lock's lease: the holder presents its owner and fencing token.</summary>
internal sealed class LockLeaseRenewer(ILockGrain grain, string owner, long fencingToken) : ILeaseRenewer
{
    public async Task<LeaseRenewal> RenewAsync(TimeSpan ttl)
    {
        var result = await grain.Refresh(owner, fencingToken, ttl).ConfigureAwait(false);
        return result.Outcome == LockOutcome.Renewed
            ? LeaseRenewal.Renewed(result.ExpiresAt!.Value)
            : LeaseRenewal.Refused($"the lock refused the refresh ({result.Outcome}; holder now {result.Holder ?? "nobody"})");
    }
}
