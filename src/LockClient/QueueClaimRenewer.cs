namespace LockService.Client;

/// <summary>Renews one task claim's lease on the segment that holds the task, by the claim's lease id.</summary>
internal sealed class QueueClaimRenewer(QueueTaskCalls calls) : ILeaseRenewer
{
    public async Task<LeaseRenewal> RenewAsync(TimeSpan ttl)
    {
        try
        {
            return LeaseRenewal.Renewed(await calls.ExtendAsync(ttl).ConfigureAwait(false));
        }
        catch (TaskLeaseLostException exception)
        {
            return LeaseRenewal.Refused($"the queue refused the renewal ({exception.Reason})");
        }
    }
}
