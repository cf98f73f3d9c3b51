namespace LockService.Client;

/// <summary>
/// One claim attempt on a work queue: the queue, and the one lease id it presents on every call. An attempt that gives
/// up withdraws by that lease id (<see cref="IWorkQueueGrain.Withdraw"/>), so the queue gives back whatever it claimed
/// for the attempt, even a task whose answer never arrived, without counting an attempt (see
/// <see cref="CallsInFlight"/> for a call that lands after the withdrawal). A class, not a record, so that no generated
/// <c>ToString</c> ever prints the lease id into a log.
/// </summary>
internal sealed class PendingClaim(IWorkQueueGrain grain, string queueName, string worker, string leaseId)
{
    public string QueueName { get; } = queueName;

    public string LeaseId { get; } = leaseId;

    /// <summary>One claim call with the attempt's lease id.</summary>
    public Task<ClaimedTask?> ClaimAsync(TimeSpan leaseTtl, TimeSpan wait, CancellationToken cancellationToken) =>
        grain.Claim(worker, LeaseId, leaseTtl, wait, cancellationToken);

    /// <summary>
    /// Withdraws the attempt: a waiting call of it leaves the queue, and a task claimed for it is pending again at once
    /// (the attempt not counted). Harmless when there is nothing to withdraw.
    /// </summary>
    public Task WithdrawAsync() => grain.Withdraw(LeaseId);
}
