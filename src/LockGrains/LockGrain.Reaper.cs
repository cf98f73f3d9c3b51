using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Grains;

/// <summary>
/// Expiry housekeeping by reminder: while a lock is held, a reminder makes sure an expired lease is cleared durably
/// (and the next waiter served) even if no client ever calls again and the activation is gone. Correctness never
/// depends on it: every call already treats an expired lease as free.
/// </summary>
public sealed partial class LockGrain
{
    internal const string ReaperReminderName = ReaperReminder.Name;

    // The lease core's reminder handling (registered lazily, once per activation); made on first use, once the
    // lock's name is known.
    private ReaperReminder? _reaper;

    private ReaperReminder Reaper => _reaper ??= new ReaperReminder(this, _options.ReaperPeriod, _record.Subject, _logger);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminderName)
        {
            return;
        }

        Reaper.Ticked();
        // Storage first (a lazily written release), so the reminder is never dropped while storage still names a holder;
        // with every write slot taken, the release timer writes it later and the next tick looks again.
        await WriteUnwrittenReleaseWhenSlotFreeAsync();
        var now = _leaseClock.Now();
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

    private Task EnsureReaperAsync(TimeSpan ttl) => Reaper.EnsureAsync(ttl);

    private Task UnregisterReaperAsync() => Reaper.UnregisterAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock '{LockName}': expired lease of '{Owner}' (fencing token {FencingToken}) reaped.")]
    private partial void LogReaped(string lockName, string owner, long fencingToken);
}
