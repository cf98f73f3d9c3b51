namespace LockService.Client;

/// <summary>Renews one semaphore lease: the holder presents its lease id, never shown anywhere else.</summary>
internal sealed class SemaphoreLeaseRenewer(ISemaphoreGrain grain, string leaseId) : ILeaseRenewer
{
    public async Task<LeaseRenewal> RenewAsync(TimeSpan ttl)
    {
        var result = await grain.Refresh(leaseId, ttl).ConfigureAwait(false);
        return result.Outcome == LockOutcome.Renewed
            ? LeaseRenewal.Renewed(result.ExpiresAt!.Value)
            : LeaseRenewal.Refused($"the semaphore refused the refresh ({result.Outcome}; {result.HolderCount} of {result.MaxCount} slots held now)");
    }
}
