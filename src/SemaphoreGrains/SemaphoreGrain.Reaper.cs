using Microsoft.Extensions.Logging;

namespace LockService.Semaphores;

/// <summary>
/// Expiry housekeeping by reminder, as for the lock (LockGrain.Reaper.cs): while a semaphore has leases, a reminder
/// makes sure the ones that ran out are dropped durably (and waiters served) even if no client calls again and the
/// activation is gone. Correctness never depends on it: every call already judges expiry from the stored leases.
/// </summary>
public sealed partial class SemaphoreGrain
{
    internal const string ReaperReminderName = "lease-reaper";

    // Whether this activation knows the reminder to be registered (see the lock's reaper for why it is lazy).
    private bool _reaperRegistered;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReaperReminderName)
        {
            return;
        }

        _reaperRegistered = true;
        var now = _clock.GetUtcNow();
        var current = Current;
        if (current.HasExpiredAt(now))
        {
            var expired = current.Leases.Count(lease => !lease.IsValidAt(now));
            try
            {
                await GrantWaitersAsync(current.Copy(), now, "reap");
                LogReaped(Name, expired);
            }
            catch (LockStorageException)
            {
                return; // Logged already; the next tick tries again.
            }
        }

        if (Current.Leases.Count == 0)
        {
            await UnregisterReaperAsync();
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Semaphore '{SemaphoreName}': {Expired} expired lease(s) reaped.")]
    private partial void LogReaped(string semaphoreName, int expired);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Semaphore '{SemaphoreName}': the expiry reminder could not be registered; expired leases are still ignored on every call.")]
    private partial void LogReaperRegistrationFailed(Exception exception, string semaphoreName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Semaphore '{SemaphoreName}': the expiry reminder could not be unregistered; the next tick tries again.")]
    private partial void LogReaperUnregistrationFailed(Exception exception, string semaphoreName);
}
