using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// One named lock. <see cref="TryAcquireAsync"/> returns <see langword="null"/> when it loses; <see cref="AcquireAsync"/>
/// throws <see cref="TimeoutException"/>. Waiting queues in the lock itself, first come, first served; nobody polls.
/// </summary>
public sealed partial class DistributedLock
{
    /// <summary>
    /// A long wait is a series of wait calls this long. Each call that ends keeps this caller's place in the queue
    /// for the next one, and a client that vanished stops calling, so the lock drops it within about this time
    /// instead of granting it a lease nobody would receive.
    /// </summary>
    internal static readonly TimeSpan WaitCallLength = TimeSpan.FromSeconds(20);

    private readonly LockOptions _options;
    private readonly LockProvider _provider;

    internal DistributedLock(string name, LockOptions options, LockProvider provider)
    {
        Name = name;
        _options = options;
        _provider = provider;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Acquires the lock, waiting up to <paramref name="timeout"/> (default: not at all; <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever). Returns <see langword="null"/> if someone else kept it that long.
    /// </summary>
    /// <param name="timeout">How long to wait for the lock.</param>
    /// <param name="cancellationToken">Cancels the wait only; a lock already granted is returned.</param>
    public async ValueTask<LockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Invalid timeout: it must be zero or positive, or Timeout.InfiniteTimeSpan (was {timeout}).");
        }

        var grain = _provider.Grain(Name);
        var owner = _provider.NextOwner(_options);
        var budget = _provider.ClientOptions.RetryBudget;
        var started = Stopwatch.GetTimestamp();

        var sentAt = Stopwatch.GetTimestamp();
        var result = await UnknownOutcome.RetryAsync(() => grain.TryAcquire(owner, _options.Ttl), budget);
        if (result.Acquired)
        {
            return await LockHandle.StartAsync(grain, result, owner, _options, sentAt, _provider);
        }

        while (timeout != TimeSpan.Zero)
        {
            var remaining = timeout == Timeout.InfiniteTimeSpan ? LockArguments.MaxWaitPerCall : timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            sentAt = Stopwatch.GetTimestamp();
            try
            {
                var chunk = remaining < WaitCallLength ? remaining : WaitCallLength;
                result = await grain.Acquire(owner, _options.Ttl, chunk, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await AbandonAsync(grain, owner);
                throw;
            }
            catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
            {
                // The wait call failed (failover, time-out): ask again as the same owner, which finds a grant that landed.
                LogWaitRetry(_provider.Logger, exception, Name);
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                continue;
            }

            if (result.Acquired)
            {
                return await LockHandle.StartAsync(grain, result, owner, _options, sentAt, _provider);
            }
        }

        // Gave up: make sure no grant to this owner lingers in the queue or in the lock.
        await AbandonAsync(grain, owner);
        return null;
    }

    /// <summary>
    /// Acquires the lock, waiting up to <paramref name="timeout"/> (default: forever).
    /// </summary>
    /// <exception cref="TimeoutException">Someone else kept the lock for the whole timeout.</exception>
    public async ValueTask<LockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await TryAcquireAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken)
        ?? throw new TimeoutException($"Lock '{Name}' was not acquired within {timeout}.");

    private async Task AbandonAsync(ILockGrain grain, string owner)
    {
        try
        {
            await UnknownOutcome.RetryAsync(() => grain.Abandon(owner), _provider.ClientOptions.RetryBudget);
        }
        catch (Exception exception)
        {
            // The grant, if any, runs out with its lease; nobody else is harmed, only delayed.
            LogAbandonFailed(_provider.Logger, exception, Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}': wait call failed; asking again as the same owner.")]
    private static partial void LogWaitRetry(ILogger logger, Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': could not withdraw an abandoned acquisition; any grant to it expires with its lease.")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string lockName);
}
