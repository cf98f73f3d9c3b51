using System.Diagnostics;

namespace LockService.Grains;

/// <summary>
/// Watching (<see cref="ILockWatchGrain"/>): a watcher's call waits in the activation and is answered when the holder
/// changes. Every change of the lock's state passes through the record (a write, or a reload after a failed one:
/// <see cref="StorageCaughtUp"/>) or through a lazy release, and both wake the watchers; a lease that runs out changes
/// the holder without any call, so a watcher also wakes when the lease ends.
/// </summary>
public sealed partial class LockGrain : ILockWatchGrain
{
    // Completed (and dropped) at the next change of the state; made only while someone watches, so a lock nobody
    // watches carries nothing more.
    private TaskCompletionSource? _stateChanged;

    public async Task<LockDescription> WhenHolderChanges(LockDescription? seen, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        LockArguments.ValidateName(Name);
        LockArguments.ValidateWait(timeout);
        // The wait is measured in real time: it is the watcher's patience, not a lease.
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            // Never report a state a write in flight is about to confirm or undo: storage's verdict only.
            await WhenWritesSettledAsync();
            var now = await Describe();
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until);
            if (seen is null || HolderDiffers(now, seen) || left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return now;
            }

            var changed = (_stateChanged ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var wakes = new List<Task>(3) { changed, Task.Delay(left, stopWaiting.Token) };
            if (now.ExpiresAt is { } expiresAt)
            {
                // The lease ends without a call: look again then, by the lock clock that judges leases (a little
                // after, so the lease has ended when the watcher looks).
                var untilExpiry = expiresAt - _leaseClock.Now();
                wakes.Add(Task.Delay((untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero) + TimeSpan.FromMilliseconds(1), _clock, stopWaiting.Token));
            }

            await Task.WhenAny(wakes);
            stopWaiting.Cancel();
        }
    }

    /// <summary>Whether a watcher that saw <paramref name="seen"/> should hear of <paramref name="now"/>: the lease changed hands, ended or moved.</summary>
    private static bool HolderDiffers(LockDescription now, LockDescription seen) =>
        now.Holder != seen.Holder || now.FencingToken != seen.FencingToken || now.ExpiresAt != seen.ExpiresAt;

    /// <summary>Wakes the watchers: the state changed (or may have), they compare it with what they saw.</summary>
    private void WakeWatchers()
    {
        if (_stateChanged is { } changed)
        {
            _stateChanged = null;
            changed.TrySetResult();
        }
    }
}
