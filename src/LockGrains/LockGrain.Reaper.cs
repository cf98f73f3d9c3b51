using Microsoft.Extensions.Logging;

namespace LockService.Grains;

/// <summary>
/// Expiry housekeeping by reminder: while a lock is held, a reminder makes sure an expired lease is cleared durably
/// (and the next waiter served) even if no client ever calls again and the activation is gone. Correctness never
/// depends on it: every call already treats an expired lease as free.
/// </summary>
public sealed partial class LockGrain
{
    internal const string ReaperReminderName = "lease-reaper";

    // Whether this activation knows the reminder to be registered. A fresh activation does not know, so its first
    // grant registers once more (one write per activation, not per call); the tick, which only fires while a
    // reminder exists, sets it, and unregisters lazily once the lock is free.
    private bool _reaperRegistered;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminderName)
        {
            return;
        }

        _reaperRegistered = true;
        // Storage first (a lazily written release), so the reminder is never dropped while storage still names a holder;
        // with every write slot taken, the release timer writes it later and the next tick looks again.
        await WriteUnwrittenReleaseWhenSlotFreeAsync();
        var now = _clock.GetUtcNow();
        var current = Current;
        if (current.IsHeldAt(now) || _releaseUnwritten)
        {
            return;
        }

        if (current.IsExpiredAt(now))
        {
            try
            {
                await EndLeaseAsync(current, now, "reap");
                LogReaped(Name, current.Holder!, current.FencingToken);
            }
            catch (LockStorageException)
            {
                return; // Logged already; the next tick tries again.
            }

            if (Current.Holder is not null)
            {
                return; // Handed to a waiter: the lock is held again, keep the reminder.
            }
        }

        await UnregisterReaperAsync();
    }

    private async Task EnsureReaperAsync(TimeSpan ttl)
    {
        if (_reaperRegistered)
        {
            return;
        }

        try
        {
            // First tick just after this lease would end; the period is the floor Orleans allows.
            await this.RegisterOrUpdateReminder(ReaperReminderName, ttl + TimeSpan.FromSeconds(1), _options.ReaperPeriod);
            _reaperRegistered = true;
        }
        catch (Exception exception)
        {
            // The grant is already durable and expiry is checked on every call, so only housekeeping is delayed.
            LogReaperRegistrationFailed(exception, Name);
        }
    }

    private async Task UnregisterReaperAsync()
    {
        try
        {
            var reminder = await this.GetReminder(ReaperReminderName);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reaperRegistered = false;
        }
        catch (Exception exception)
        {
            LogReaperUnregistrationFailed(exception, Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock '{LockName}': expired lease of '{Owner}' (fencing token {FencingToken}) reaped.")]
    private partial void LogReaped(string lockName, string owner, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the expiry reminder could not be registered; expired leases are still refused on every call.")]
    private partial void LogReaperRegistrationFailed(Exception exception, string lockName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': the expiry reminder could not be unregistered; the next tick tries again.")]
    private partial void LogReaperUnregistrationFailed(Exception exception, string lockName);
}
