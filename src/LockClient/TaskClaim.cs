using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// One claimed task of a work queue: the task is this worker's while the claim's lease lasts, and the lease is renewed
/// in the background until the claim is completed, abandoned or disposed. Pass <see cref="ClaimToken"/> to whatever the
/// work writes (it fences a worker that lost the task), stop working when <see cref="HandleLostToken"/> fires, and call
/// <see cref="CompleteAsync"/> when done. Disposing a claim that was neither completed nor abandoned abandons it, so
/// the task goes back to the queue at once instead of when its lease runs out.
/// </summary>
public sealed partial class TaskClaim : IAsyncDisposable, IDisposable
{
    private readonly QueueTaskCalls _calls;
    private readonly LeaseKeeper _keeper;
    private readonly LockProvider _provider;

    // 0 while the claim is open; 1 once completed, abandoned or disposed (the first of them decides).
    private int _ended;

    private TaskClaim(QueueTaskCalls calls, LeaseKeeper keeper, ClaimedTask task, LockProvider provider)
    {
        _calls = calls;
        _keeper = keeper;
        _provider = provider;
        QueueName = calls.QueueName;
        TaskId = task.TaskId;
        Payload = task.Payload;
        Attempt = task.Attempt;
    }

    /// <summary>
    /// Dropped without Dispose: stops renewing so the lease runs out and the task returns to the queue;
    /// <see cref="HandleLostToken"/> still fires when it does.
    /// </summary>
    ~TaskClaim() => _keeper.Stop(disarmLossTimer: false);

    /// <summary>The queue's name.</summary>
    public string QueueName { get; }

    /// <summary>The task's id, unique in its queue.</summary>
    public string TaskId { get; }

    /// <summary>The task's payload, as enqueued.</summary>
    public string Payload { get; }

    /// <summary>Which claim of this task this is: 1 the first time, more after expiries and abandons.</summary>
    public int Attempt { get; }

    /// <summary>
    /// The claim token: larger than every earlier claim of this task. Present it to what the work writes, so a write
    /// of a worker that lost the task (and was overtaken by a later claim) can be refused.
    /// </summary>
    public long ClaimToken => _keeper.FencingToken;

    /// <summary>The worker label this claim was made for (the lease itself is identified by a secret lease id).</summary>
    public string Worker => _keeper.Owner;

    /// <summary>When the claim's lease ends on the server unless renewed (server clock), as of the last confirmed renewal.</summary>
    public DateTimeOffset ExpiresAt => _keeper.ExpiresAt;

    /// <summary>
    /// Cancelled when the claim is lost or can no longer be proven held: a renewal was refused (the lease expired and
    /// the task may be someone else's now), or none was confirmed before the local deadline less
    /// <see cref="LockOptions.SafetyMargin"/>. It fires on a timer, whatever a hung call is doing. It does not fire after
    /// the claim was completed, abandoned or disposed.
    /// </summary>
    public CancellationToken HandleLostToken => _keeper.LostToken;

    internal LeaseKeeper Keeper => _keeper;

    /// <summary>
    /// Hands out a claim, renewing it first when it was found by a retry or after a long wait (as <see cref="LockHandle"/>
    /// does). Returns null when the queue refused that renewal: the claim lapsed before it could be handed out.
    /// </summary>
    internal static async Task<TaskClaim?> StartAsync(
        QueueTaskCalls calls, ClaimedTask task, string worker, LockOptions options, long sentAt, bool retried, LockProvider provider, CancellationToken cancellationToken)
    {
        var keeper = new LeaseKeeper(
            new QueueClaimRenewer(calls), $"{calls.QueueName}/{task.TaskId}", worker, task.ClaimToken, task.ExpiresAt, options, sentAt, provider.Logger);
        if (!await keeper.TryStartAsync(options, retried, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new TaskClaim(calls, keeper, task, provider);
    }

    /// <summary>
    /// Renews the claim's lease now, optionally with a new length that later renewals keep. Returns false when the
    /// queue refused: the claim is lost and <see cref="HandleLostToken"/> has fired.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is not positive (thrown at the call, not by the task).</exception>
    /// <exception cref="InvalidOperationException">The claim was already completed, abandoned or disposed.</exception>
    public ValueTask<bool> ExtendAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        if (ttl is { } lease && lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid ttl: the lease TTL must be positive (was {lease}).");
        }

        return new ValueTask<bool>(_keeper.RefreshAsync(ttl, cancellationToken));
    }

    /// <summary>
    /// Marks the task done and stops renewing. Only the current claim of a task can complete it: after this claim's lease
    /// ran out and the task was claimed again, the queue refuses, and this throws <see cref="TaskLeaseLostException"/>
    /// (the task stays with its new claim, which will complete it). A retry after a lost answer is safe: a completion
    /// that landed is found again.
    /// </summary>
    /// <exception cref="TaskLeaseLostException">The queue refused: this is no longer the task's current claim.</exception>
    /// <exception cref="InvalidOperationException">The claim was already completed, abandoned or disposed.</exception>
    /// <exception cref="TimeoutException">The cluster did not answer within <see cref="LockClientOptions.RetryBudget"/>; the outcome is unknown.</exception>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        // Renewal stops first, so no renewal can reach the task after its completion and be refused as a loss; the
        // lease has most of a TTL left for the completion to land.
        End();
        await UnknownOutcome.RetryAsync(async () => { await _calls.CompleteAsync().ConfigureAwait(false); return true; }, _provider.ClientOptions.RetryBudget, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives the task back to the queue now, recording <paramref name="error"/> as its last error, and stops renewing.
    /// The task is claimed again (its attempt counts), or goes to the dead tasks once it has used its attempts. A claim
    /// that is no longer current has nothing to give back; that is not an error.
    /// </summary>
    /// <exception cref="ArgumentException">The error is longer than <see cref="QueueArguments.MaxErrorLength"/>; nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The claim was already completed, abandoned or disposed.</exception>
    public async ValueTask AbandonAsync(string? error = null, CancellationToken cancellationToken = default)
    {
        QueueArguments.ValidateError(error);
        End();
        await AbandonCoreAsync(error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Abandons the claim unless it was completed or abandoned (the task goes back to the queue at once), and stops
    /// renewing. Idempotent. On an unreachable cluster it gives up when the lease would have ended anyway, and the task
    /// returns to the queue then.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        _keeper.Stop(disarmLossTimer: true);
        await AbandonCoreAsync("the claim was disposed before it was completed", CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Abandons the claim unless it was completed or abandoned, blocking until done (at most the lease's remaining time). Idempotent.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            throw new InvalidOperationException($"The claim of task '{TaskId}' of queue '{QueueName}' was already completed, abandoned or disposed.");
        }

        GC.SuppressFinalize(this);
        _keeper.Stop(disarmLossTimer: true);
    }

    private void ThrowIfEnded()
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            throw new InvalidOperationException($"The claim of task '{TaskId}' of queue '{QueueName}' was already completed, abandoned or disposed.");
        }
    }

    private async Task AbandonCoreAsync(string? error, CancellationToken cancellationToken)
    {
        // Retrying past the lease's own end achieves nothing: by then the task is back in the queue anyway.
        var remaining = _keeper.Remaining;
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var budget = remaining < _provider.ClientOptions.RetryBudget ? remaining : _provider.ClientOptions.RetryBudget;
            await UnknownOutcome.RetryAsync(() => _calls.AbandonAsync(error), budget, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
        {
            LogAbandonFailed(_provider.Logger, exception, QueueName, TaskId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': could not abandon task '{TaskId}'; it returns to the queue when its lease ends.")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string queueName, string taskId);
}
