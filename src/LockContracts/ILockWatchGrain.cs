using Orleans;
using Orleans.Concurrency;

namespace LockService;

/// <summary>
/// The lock grain seen by a watcher (keyed by the lock's name, the same activation as <see cref="ILockGrain"/>): a
/// long-poll that the grain answers as soon as the lock's holder changes, so a watcher is pushed each change instead of
/// polling <see cref="ILockGrain.Describe"/> in a loop.
/// </summary>
/// <remarks>
/// A long-poll rather than a grain observer: a call that fails (the silo hosting the lock died) is simply made again
/// and reaches the lock's new activation, while an observer would have to be subscribed again by someone who notices
/// it was lost. Each call compares against what the watcher last saw, so no change between two calls is missed.
/// </remarks>
[Alias("LockService.ILockWatchGrain")]
public interface ILockWatchGrain : IGrainWithStringKey
{
    /// <summary>
    /// Answers the lock's state once its holder, fencing token or lease expiry differ from <paramref name="seen"/>
    /// (at once when <paramref name="seen"/> is <see langword="null"/> or already out of date), or after
    /// <paramref name="timeout"/> with the state unchanged. A lease that runs out counts as a change (the lock is free),
    /// even when no call ends it. Writes nothing.
    /// </summary>
    /// <param name="seen">What the watcher last saw, or <see langword="null"/> for the first call.</param>
    /// <param name="timeout">How long to wait for a change, at most <see cref="LockArguments.MaxWaitPerCall"/>.</param>
    /// <param name="cancellationToken">Ends the wait (the watcher went away).</param>
    [Alias("WhenHolderChanges")]
    [AlwaysInterleave]
    [ResponseTimeout("00:35:00")]
    Task<LockDescription> WhenHolderChanges(LockDescription? seen, TimeSpan timeout, CancellationToken cancellationToken = default);
}
