namespace LockService.Client;

/// <summary>
/// One claim attempt on a work queue: the queue, the one lease id it presents on every call, and the last task a call
/// of it was handed. The queue has no call that withdraws by lease id, so an attempt that gives up gives back the task
/// it learns of, even from an answer that arrives after it gave up (see <see cref="CallsInFlight"/>). A class, not a
/// record, so that no generated <c>ToString</c> ever prints the lease id into a log.
/// </summary>
internal sealed class PendingClaim(IWorkQueueGrain grain, string queueName, string worker, string leaseId)
{
    private volatile ClaimedTask? _landed;

    public string QueueName { get; } = queueName;

    public string LeaseId { get; } = leaseId;

    /// <summary>One claim call with the attempt's lease id; remembers the task it was handed.</summary>
    public async Task<ClaimedTask?> ClaimAsync(TimeSpan leaseTtl, TimeSpan wait, CancellationToken cancellationToken)
    {
        var task = await grain.Claim(worker, LeaseId, leaseTtl, wait, cancellationToken).ConfigureAwait(false);
        if (task is not null)
        {
            _landed = task;
        }

        return task;
    }

    /// <summary>
    /// Gives back the task a call of this attempt was handed, if any: it is pending again at once (the attempt counts)
    /// instead of when the lease ends. Harmless when it was already given back.
    /// </summary>
    public Task WithdrawAsync(LockProvider provider) =>
        _landed is { } task
            ? new QueueTaskCalls(provider, QueueName, task.TaskId, LeaseId).AbandonAsync("the claimer gave up before it received the task")
            : Task.CompletedTask;
}
