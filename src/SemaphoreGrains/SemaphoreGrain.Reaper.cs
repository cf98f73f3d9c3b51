using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Semaphores;

/// <summary>
/// Expiry housekeeping by reminder, as for the lock (LockGrain.Reaper.cs): while a semaphore has leases, a reminder
/// makes sure the ones that ran out are dropped durably (and waiters served) even if no client calls again and the
/// activation is gone. Correctness never depends on it: every call already judges expiry from the stored leases.
/// </summary>
public sealed partial class SemaphoreGrain
{
    internal const string ReaperReminderName = ReaperReminder.Name;

    // The lease core's reminder handling (registered lazily, once per activation); made on first use.
    private ReaperReminder? _reaper;

    private ReaperReminder Reaper => _reaper ??= new ReaperReminder(this, _options.ReaperPeriod, _record.Subject, _logger);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminderName)
        {
            return;
        }

        Reaper.Ticked();
        try
        {
            var (expired, _) = await ChangeAsync<int>((next, now, _) =>
            {
                var ranOut = next.Leases.Count(lease => !lease.IsValidAt(now));
                next.DropExpired(now);
                return (ranOut, ranOut > 0);
            }, "reap");
            if (expired > 0)
            {
                LogReaped(Name, expired);
            }
        }
        catch (LockStorageException)
        {
            return; // Logged already; the next tick tries again.
        }

        if (Current.Leases.Count == 0)
        {
            await UnregisterReaperAsync();
        }
    }

    private Task EnsureReaperAsync(TimeSpan ttl) => Reaper.EnsureAsync(ttl);

    private Task UnregisterReaperAsync() => Reaper.UnregisterAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Semaphore '{SemaphoreName}': {Expired} expired lease(s) reaped.")]
    private partial void LogReaped(string semaphoreName, int expired);
}
