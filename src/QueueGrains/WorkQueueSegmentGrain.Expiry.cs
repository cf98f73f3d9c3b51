using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Queues;

/// <summary>
/// Returning the tasks of expired claims. Expiry itself needs no timer (every call judges it from the stored expiry),
/// but waiting claimers sit in the directory, which must hear that a task is pending again: while claims are out, a
/// timer checks at the next expiry (at most every <c>ExpiryCheckInterval</c>, since the lease clock may be moved),
/// writes down what expired (a dead letter after the last attempt) and tells the directory. A reminder is the backstop
/// when the activation is gone.
/// </summary>
public sealed partial class WorkQueueSegmentGrain
{
    private QueueCheckTimer? _expiryCheck;
    private ReaperReminder? _reaper;

    private ReaperReminder Reaper => _reaper ??= new ReaperReminder(this, _lockOptions.ReaperPeriod, $"Queue segment '{this.GetPrimaryKeyString()}'", _logger);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminder.Name || _segment < 0)
        {
            return;
        }

        Reaper.Ticked();
        await ReturnExpiredAsync();
        if (Leases.NextExpiryAfter(_leaseClock.Now()) is null)
        {
            await UnregisterReaperAsync();
        }
    }

    /// <summary>Makes sure expired claims are noticed within <paramref name="ttl"/> (or the check interval, if sooner).</summary>
    private void WatchExpiry(TimeSpan ttl) =>
        (_expiryCheck ??= new QueueCheckTimer(this, CheckExpiryAsync)).Schedule(ttl < _lockOptions.ExpiryCheckInterval ? ttl : _lockOptions.ExpiryCheckInterval);

    private async Task CheckExpiryAsync()
    {
        await ReturnExpiredAsync();
        if (Leases.NextExpiryAfter(_leaseClock.Now()) is { } next)
        {
            var remaining = next - _leaseClock.Now();
            WatchExpiry(remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining);
        }
    }

    /// <summary>Writes down the claims whose lease ended and, if any task became pending, tells the directory.</summary>
    private async Task ReturnExpiredAsync()
    {
        if (Payloads.Purged)
        {
            return;
        }

        try
        {
            var (expired, pending) = await _leases.ChangeAsync<(int Expired, int Pending)>((next, now) =>
            {
                var before = next.Entries.Count(entry => entry.Status == QueueTaskStatus.Claimed);
                if (!next.SettleExpired(now, MaxAttempts))
                {
                    return ((0, 0), false);
                }

                return ((before - next.Entries.Count(entry => entry.Status == QueueTaskStatus.Claimed), PendingIn(next, now)), true);
            }, "expiry");

            if (expired > 0)
            {
                LogExpired(_queueName, _segment, expired);
                QueueDirectory.SegmentChanged(_segment, pending, Leases.NextExpiryAfter(_leaseClock.Now()), drained: false).Ignore();
            }
        }
        catch (LockStorageException)
        {
            // Logged already; the claims are expired whether or not this is written, and the next check tries again.
        }
    }

    private Task EnsureReaperAsync(TimeSpan ttl) => Reaper.EnsureAsync(ttl);

    private Task UnregisterReaperAsync() => Reaper.UnregisterAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue '{QueueName}', segment {Segment}: {Expired} claim(s) expired; their tasks are pending again (or dead after their last attempt).")]
    private partial void LogExpired(string queueName, long segment, int expired);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue '{QueueName}': dead task {TaskId} retried by an operator.")]
    private partial void LogRetried(string queueName, string taskId);
}
