using System.Globalization;
using LockService.Client;

namespace LockService.Cli;

/// <summary>
/// What <c>lockctl run</c> needs of what it holds, a lock or one semaphore slot: the command's environment, the loss
/// signal, the lease's local time left (the kill deadline), and how to let go. One run loop serves both.
/// </summary>
internal sealed class HeldLease : IAsyncDisposable
{
    private readonly IAsyncDisposable _handle;
    private readonly Func<TimeSpan, ValueTask<bool>> _releaseAfter;
    private readonly Func<TimeSpan> _remaining;

    private HeldLease(string description, long fencingToken, CancellationToken lost, Func<TimeSpan> remaining, Func<TimeSpan, ValueTask<bool>> releaseAfter, IAsyncDisposable handle, Dictionary<string, string> environment)
    {
        Description = description;
        FencingToken = fencingToken;
        LostToken = lost;
        _remaining = remaining;
        _releaseAfter = releaseAfter;
        _handle = handle;
        Environment = environment;
    }

    /// <summary>How messages name it: <c>lock 'backup'</c> or <c>semaphore 'jobs' slot 1</c>.</summary>
    public string Description { get; }

    public long FencingToken { get; }

    public CancellationToken LostToken { get; }

    /// <summary>What the command gets: LOCK_NAME, LOCK_OWNER, LOCK_FENCING_TOKEN, and LOCK_SLOT for a semaphore.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The lease's remaining time by the handle's conservative local deadline.</summary>
    public TimeSpan Remaining => _remaining();

    public static HeldLease? Of(LockHandle? handle) => handle is null ? null : new(
        $"lock '{handle.Name}'", handle.FencingToken, handle.HandleLostToken, () => handle.Keeper.Remaining, handle.ReleaseAfterAsync, handle,
        new Dictionary<string, string>
        {
            ["LOCK_NAME"] = handle.Name,
            ["LOCK_OWNER"] = handle.Owner,
            ["LOCK_FENCING_TOKEN"] = handle.FencingToken.ToString(CultureInfo.InvariantCulture),
        });

    public static HeldLease? Of(SemaphoreHandle? handle) => handle is null ? null : new(
        $"semaphore '{handle.Name}' slot {handle.Slot}", handle.FencingToken, handle.HandleLostToken, () => handle.Keeper.Remaining, handle.ReleaseAfterAsync, handle,
        new Dictionary<string, string>
        {
            ["LOCK_NAME"] = handle.Name,
            ["LOCK_OWNER"] = handle.Owner,
            ["LOCK_FENCING_TOKEN"] = handle.FencingToken.ToString(CultureInfo.InvariantCulture),
            ["LOCK_SLOT"] = handle.Slot.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>Stops renewing and keeps the lease for <paramref name="holdFor"/> more (releases now when not positive).</summary>
    public ValueTask<bool> ReleaseAfterAsync(TimeSpan holdFor) => _releaseAfter(holdFor);

    public ValueTask DisposeAsync() => _handle.DisposeAsync();
}
