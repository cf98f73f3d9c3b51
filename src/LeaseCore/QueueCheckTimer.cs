using System.Diagnostics;

namespace LockService.Leases;

/// <summary>
/// One timer for "check the wait queue" of a lease primitive's grain: due at once when a waiter arrives while a lease
/// is free, and while waiters wait for held leases, at the next lease's end (at most every
/// <c>ExpiryCheckInterval</c>, since the lease clock may be moved). The check runs as an ordinary, non-interleaving
/// turn, so its grants cannot overlap any other write.
/// </summary>
internal sealed class QueueCheckTimer(IGrainBase grain, Func<Task> check)
{
    private IGrainTimer? _timer;

    // When the pending check is due (Stopwatch ticks), or null when none is pending.
    private long? _dueAt;

    /// <summary>
    /// Makes sure the queue is checked within <paramref name="dueTime"/>: a check that is already due by then stays
    /// as it is (an early check finds the leases held and simply schedules the next one).
    /// </summary>
    public void Schedule(TimeSpan dueTime)
    {
        var dueAt = Stopwatch.GetTimestamp() + (long)(dueTime.TotalSeconds * Stopwatch.Frequency);
        if (_dueAt is { } pending && pending <= dueAt)
        {
            return;
        }

        _dueAt = dueAt;
        if (_timer is null)
        {
            _timer = grain.RegisterGrainTimer(CheckAsync, new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan) { Interleave = false });
        }
        else
        {
            _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    private Task CheckAsync()
    {
        _dueAt = null;
        return check();
    }
}
