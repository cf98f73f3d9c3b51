using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>The worker loop for the common case: claim, run the handler, complete or abandon, repeat.</summary>
public sealed partial class WorkQueue
{
    /// <summary>How long a worker loop waits before claiming again after the cluster did not answer.</summary>
    private static readonly TimeSpan UnreachableBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Processes tasks until <paramref name="cancellationToken"/> is cancelled, <paramref name="concurrency"/> at a time.
    /// Each of <paramref name="concurrency"/> loops claims a task (waiting for one as long as it takes), runs
    /// <paramref name="handler"/> with the claim, completes the task when the handler returns, and abandons it with the
    /// exception's message when the handler throws (the task is claimed again, or goes to the dead tasks after its last
    /// attempt). The token the handler gets is cancelled when the claim is lost (stop: another worker may get the task)
    /// or when <paramref name="cancellationToken"/> is; a task the handler gives up on that way is abandoned too.
    /// Returns, without throwing, once every loop has stopped after cancellation; the cluster being unreachable for a
    /// while only delays the loops.
    /// </summary>
    /// <param name="handler">The work for one task. Pass <see cref="TaskClaim.ClaimToken"/> to what it writes.</param>
    /// <param name="concurrency">How many tasks this call works on at once (at least 1).</param>
    /// <param name="cancellationToken">Stops claiming, and cancels the handlers' token.</param>
    /// <exception cref="ArgumentOutOfRangeException">The concurrency is below 1 (thrown at the call, not by the task).</exception>
    public Task ProcessAsync(Func<TaskClaim, CancellationToken, Task> handler, int concurrency = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (concurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, $"Invalid concurrency: at least one task at a time (was {concurrency}).");
        }

        return RunLoopsAsync(handler, concurrency, cancellationToken);
    }

    private async Task RunLoopsAsync(Func<TaskClaim, CancellationToken, Task> handler, int concurrency, CancellationToken cancellationToken)
    {
        // A loop that fails for a reason retrying cannot cure stops the others, and its exception reaches the caller.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(
            async () =>
            {
                try
                {
                    await WorkLoopAsync(handler, stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            },
            CancellationToken.None)).ToArray();
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task WorkLoopAsync(Func<TaskClaim, CancellationToken, Task> handler, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TaskClaim? claim;
            try
            {
                claim = await TryClaimAsync(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                LogClaimFailed(_provider.Logger, exception, Name);
                try
                {
                    await Task.Delay(UnreachableBackoff, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (claim is not null)
            {
                await WorkOnAsync(claim, handler, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task WorkOnAsync(TaskClaim claim, Func<TaskClaim, CancellationToken, Task> handler, CancellationToken stop)
    {
        // Disposing abandons the claim on every path that neither completed nor abandoned it.
        await using (claim.ConfigureAwait(false))
        {
            using var working = CancellationTokenSource.CreateLinkedTokenSource(claim.HandleLostToken, stop);
            try
            {
                await handler(claim, working.Token).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                if (claim.HandleLostToken.IsCancellationRequested)
                {
                    LogLostWhileWorking(_provider.Logger, Name, claim.TaskId, claim.ClaimToken);
                    return;
                }

                var error = exception is OperationCanceledException && stop.IsCancellationRequested
                    ? "the worker stopped before the task was done"
                    : $"{exception.GetType().Name}: {exception.Message}";
                LogTaskFailed(_provider.Logger, exception, Name, claim.TaskId, claim.Attempt);
                await claim.AbandonAsync(Truncate(error), CancellationToken.None).ConfigureAwait(false);
                return;
            }

            try
            {
                await claim.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (TaskLeaseLostException exception)
            {
                // The work was done, but after this claim's lease ended and another claim took the task: it will be
                // done again there (at least once), and completed once, by that claim.
                LogCompletionRefused(_provider.Logger, exception, Name, claim.TaskId, claim.ClaimToken);
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                LogCompletionUnknown(_provider.Logger, exception, Name, claim.TaskId);
            }
        }
    }

    /// <summary>An exception's message can be longer than the queue keeps as a task's last error.</summary>
    private static string Truncate(string error) =>
        error.Length <= QueueArguments.MaxErrorLength ? error : string.Concat(error.AsSpan(0, QueueArguments.MaxErrorLength - 1), "…");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': claiming failed; trying again shortly.")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception, string queueName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': the claim of task '{TaskId}' (claim token {ClaimToken}) was lost while the handler ran; the task returns to the queue.")]
    private static partial void LogLostWhileWorking(ILogger logger, string queueName, string taskId, long claimToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': the handler failed on task '{TaskId}' (attempt {Attempt}); abandoning it.")]
    private static partial void LogTaskFailed(ILogger logger, Exception exception, string queueName, string taskId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': task '{TaskId}' was done, but its completion was refused (claim token {ClaimToken} is no longer current); the current claim will complete it.")]
    private static partial void LogCompletionRefused(ILogger logger, Exception exception, string queueName, string taskId, long claimToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': completing task '{TaskId}' got no answer; if it did not land, the task returns to the queue when its lease ends.")]
    private static partial void LogCompletionUnknown(ILogger logger, Exception exception, string queueName, string taskId);
}
