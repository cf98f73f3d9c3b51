using Microsoft.Extensions.Logging;

namespace LockService.Leases;

/// <summary>
/// The expiry housekeeping reminder of one lease primitive's grain: while it has leases, the reminder makes sure the
/// ones that ran out are cleared durably (and waiters served) even if nobody calls again and the activation is gone.
/// Correctness never depends on it: every call judges expiry from the stored leases and the clock.
/// </summary>
/// <remarks>
/// Registered lazily: a fresh activation does not know whether the reminder exists, so its first grant registers
/// once more (one write per activation, not per call); the tick, which only fires while a reminder exists, sets
/// <see cref="Ticked"/>, and the grain unregisters it from a tick once nothing is left to reap.
/// </remarks>
internal sealed partial class ReaperReminder
{
    /// <summary>The reminder's name, under the grain's own id.</summary>
    public const string Name = "lease-reaper";

    private readonly Grain _grain;
    private readonly TimeSpan _period;
    private readonly DurableRecordSubject _subject;
    private readonly ILogger _logger;

    // Whether this activation knows the reminder to be registered.
    private bool _registered;

    /// <summary>The reminder of <paramref name="grain"/>, named <paramref name="subject"/> in its log lines.</summary>
    public ReaperReminder(Grain grain, TimeSpan period, string subject, ILogger logger)
        : this(grain, period, new DurableRecordSubject(subject, retryHint: ""), logger)
    {
    }

    /// <summary>
    /// The reminder of <paramref name="grain"/>, named in its log lines as its durable record is: no name string of its
    /// own per activation (<see cref="DurableRecordSubject"/> puts it together only for a log line).
    /// </summary>
    public ReaperReminder(Grain grain, TimeSpan period, DurableRecordSubject subject, ILogger logger)
    {
        _grain = grain;
        _period = period;
        _subject = subject;
        _logger = logger;
    }

    /// <summary>The reminder fired: it exists.</summary>
    public void Ticked() => _registered = true;

    /// <summary>Makes sure the reminder exists; its first tick comes just after a lease of <paramref name="ttl"/> would end.</summary>
    public async Task EnsureAsync(TimeSpan ttl)
    {
        if (_registered)
        {
            return;
        }

        try
        {
            // The period is the floor Orleans allows.
            await _grain.RegisterOrUpdateReminder(Name, ttl + TimeSpan.FromSeconds(1), _period);
            _registered = true;
        }
        catch (Exception exception)
        {
            // The grant is already durable and expiry is checked on every call, so only housekeeping is delayed.
            LogRegistrationFailed(exception, _subject.Name);
        }
    }

    /// <summary>Removes the reminder: nothing is left to reap.</summary>
    public async Task UnregisterAsync()
    {
        try
        {
            var reminder = await _grain.GetReminder(Name);
            if (reminder is not null)
            {
                await _grain.UnregisterReminder(reminder);
            }

            _registered = false;
        }
        catch (Exception exception)
        {
            LogUnregistrationFailed(exception, _subject.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: the expiry reminder could not be registered; expired leases are still refused on every call.")]
    private partial void LogRegistrationFailed(Exception exception, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: the expiry reminder could not be unregistered; the next tick tries again.")]
    private partial void LogUnregistrationFailed(Exception exception, string subject);
}
