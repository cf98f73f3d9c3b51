namespace LockService.Client;

/// <summary>
/// One named work queue. <see cref="EnqueueAsync(IEnumerable{string}, CancellationToken)"/> adds tasks;
/// <see cref="TryClaimAsync"/> returns a <see cref="TaskClaim"/>, or <see langword="null"/> when no task came within the
/// wait; <see cref="ClaimAsync"/> throws <see cref="TimeoutException"/> instead. Waiting claimers queue in the queue
/// itself, first come, first served, and are handed tasks as they arrive; nobody polls. <see cref="ProcessAsync"/> is
/// the worker loop for the common case.
/// </summary>
/// <remarks>
/// Every claim attempt makes one lease id (<see cref="LeaseIds.New"/>) and presents it on every retry, renewal,
/// completion and abandon, so a retry after a lost answer gets the same task back, never a second one. Processing is
/// at least once (a worker that dies mid-task leaves it to the next claim when its lease ends); completion is once,
/// since only the task's current claim can complete it.
/// </remarks>
public sealed partial class WorkQueue
{
    private readonly LockOptions _options;
    private readonly LockProvider _provider;
    private readonly string _worker;

    internal WorkQueue(string name, LockOptions options, LockProvider provider)
    {
        Name = name;
        _options = options;
        _provider = provider;
        _worker = options.Owner ?? provider.WorkerName;
    }

    /// <summary>The queue's name.</summary>
    public string Name { get; }

    /// <summary>The worker label claims of this object are made for (<see cref="LockOptions.Owner"/>, or host, process id and a random part).</summary>
    public string Worker => _worker;

    /// <summary>
    /// Adds one task per payload, in order, and returns their task ids. Durable when it returns. Without task keys a
    /// call whose answer was lost is not retried, since it might add the tasks twice: the time-out or the cluster's
    /// error reaches the caller, and the tasks may or may not have been added. Enqueue with keys to make retries safe.
    /// </summary>
    /// <exception cref="ArgumentException">A payload or the batch breaks a rule (empty, too large, too many); nothing was added.</exception>
    public Task<IReadOnlyList<string>> EnqueueAsync(IEnumerable<string> payloads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        return EnqueueCoreAsync([.. payloads.Select(static p => new NewTask(p, null))], retrySafe: false, cancellationToken);
    }

    /// <summary>
    /// Adds one task per item, each with a key unique in the queue: an item whose key the queue already has is not added
    /// again, and its existing task id is returned. That makes the call safe to repeat, so a call whose answer was lost is
    /// retried with the same keys.
    /// </summary>
    /// <exception cref="ArgumentException">A payload, key or the batch breaks a rule; nothing was added.</exception>
    public Task<IReadOnlyList<string>> EnqueueAsync(IEnumerable<(string Payload, string Key)> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return EnqueueCoreAsync([.. items.Select(static i => new NewTask(i.Payload, i.Key))], retrySafe: true, cancellationToken);
    }

    private async Task<IReadOnlyList<string>> EnqueueCoreAsync(NewTask[] tasks, bool retrySafe, CancellationToken cancellationToken)
    {
        QueueArguments.ValidateBatch(tasks);
        var grain = _provider.QueueGrain(Name);
        return retrySafe
            ? await UnknownOutcome.RetryAsync(() => grain.Enqueue(tasks), _provider.ClientOptions.RetryBudget, cancellationToken).ConfigureAwait(false)
            : await grain.Enqueue(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the oldest pending task, waiting up to <paramref name="wait"/> for one to arrive (default: not at all;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits forever). Returns <see langword="null"/> if none came. A cluster that
    /// does not answer ends the call as for <see cref="DistributedLock.TryAcquireAsync"/>; whatever an unanswered call may
    /// have been given goes back to the queue.
    /// </summary>
    /// <param name="wait">How long to wait for a task.</param>
    /// <param name="cancellationToken">Cancels the claim until it returns; a task given to it meanwhile goes back to the queue.</param>
    /// <exception cref="ArgumentOutOfRangeException">The wait is negative (thrown at the call, not by the task).</exception>
    public ValueTask<TaskClaim?> TryClaimAsync(TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        DistributedLock.ValidateTimeout(wait);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<TaskClaim?>(cancellationToken)
            : new ValueTask<TaskClaim?>(ClaimCoreAsync(wait, cancellationToken));
    }

    /// <summary>
    /// Claims the oldest pending task, waiting up to <paramref name="wait"/> (default: forever). Wait, cancellation and
    /// a cluster that does not answer behave as for <see cref="TryClaimAsync"/>.
    /// </summary>
    /// <exception cref="TimeoutException">No task came within the wait.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The wait is negative (thrown at the call, not by the task).</exception>
    public ValueTask<TaskClaim> ClaimAsync(TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        DistributedLock.ValidateTimeout(wait ?? Timeout.InfiniteTimeSpan);
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<TaskClaim>(cancellationToken)
            : new ValueTask<TaskClaim>(ClaimOrThrowAsync(wait, cancellationToken));
    }

    private async Task<TaskClaim> ClaimOrThrowAsync(TimeSpan? wait, CancellationToken cancellationToken) =>
        await ClaimCoreAsync(wait ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Queue '{Name}' had no task to claim within {wait}.");

    private Task<TaskClaim?> ClaimCoreAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        // One lease id per claim attempt, presented on every retry, renewal, completion and abandon of it.
        var attempt = new PendingClaim(_provider.QueueGrain(Name), Name, _worker, LeaseIds.New());
        var acquisition = new LeaseAcquisition<ClaimedTask?, TaskClaim>
        {
            Subject = $"Queue '{Name}'",
            Provider = _provider,
            Options = _options,
            Try = () => attempt.ClaimAsync(_options.Ttl, TimeSpan.Zero, CancellationToken.None),
            Wait = (chunk, token) => attempt.ClaimAsync(_options.Ttl, chunk, token),
            Start = (task, sentAt, retried, token) => task is null
                ? Task.FromResult<TaskClaim?>(null)
                : TaskClaim.StartAsync(new QueueTaskCalls(_provider, Name, task.TaskId, attempt.LeaseId), task, _worker, _options, sentAt, retried, _provider, token),
            Withdraw = () => attempt.WithdrawAsync(),
        };
        return acquisition.RunAsync(wait, cancellationToken);
    }
}
