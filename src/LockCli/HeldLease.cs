using System.Globalization;
using LockService.Client;

namespace LockService.Cli;

/// <summary>
/// What <c>lockctl run</c> and <c>lockctl work</c> need of what they hold, a lock, one semaphore slot or a task's claim:
/// the command's environment, the loss signal, the lease's local time left (the kill deadline), and how to let go.
/// One run loop (<see cref="LeasedCommand"/>) serves all three.
/// </summary>
internal sealed class HeldLease : IAsyncDisposable
{
    private readonly IAsyncDisposable _handle;
    private readonly Func<TimeSpan, ValueTask<bool>>? _releaseAfter;
    private readonly Func<TimeSpan> _remaining;

    private HeldLease(string description, long fencingToken, CancellationToken lost, Func<TimeSpan> remaining, Func<TimeSpan, ValueTask<bool>>? releaseAfter, IAsyncDisposable handle, Dictionary<string, string> environment, string tokenLabel = "fencing token")
    {
        Description = description;
        TokenLabel = tokenLabel;
        FencingToken = fencingToken;
        LostToken = lost;
        _remaining = remaining;
        _releaseAfter = releaseAfter;
        _handle = handle;
        Environment = environment;
    }

    /// <summary>How messages name it: <c>lock 'backup'</c> or <c>semaphore 'jobs' slot 1</c>.</summary>
    public string Description { get; }

    /// <summary>The grant's fencing token (a task claim's claim token).</summary>
    public long FencingToken { get; }

    /// <summary>How messages name <see cref="FencingToken"/>: <c>fencing token</c>, or <c>claim token</c> for a task.</summary>
    public string TokenLabel { get; }

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

    /// <summary>
    /// A task's claim: the command gets TASK_QUEUE, TASK_ID, TASK_CLAIM_TOKEN and TASK_ATTEMPT. It ends by completion or
    /// abandon, never by <see cref="ReleaseAfterAsync"/>; disposing abandons it unless it was completed.
    /// </summary>
    public static HeldLease Of(TaskClaim claim) => new(
        $"the claim of task '{claim.TaskId}' of queue '{claim.QueueName}'", claim.ClaimToken, claim.HandleLostToken, () => claim.Keeper.Remaining, null, claim,
        new Dictionary<string, string>
        {
            ["TASK_QUEUE"] = claim.QueueName,
            ["TASK_ID"] = claim.TaskId,
            ["TASK_CLAIM_TOKEN"] = claim.ClaimToken.ToString(CultureInfo.InvariantCulture),
            ["TASK_ATTEMPT"] = claim.Attempt.ToString(CultureInfo.InvariantCulture),
        },
        tokenLabel: "claim token");

    /// <summary>Stops renewing and keeps the lease for <paramref name="holdFor"/> more (releases now when not positive).</summary>
    public ValueTask<bool> ReleaseAfterAsync(TimeSpan holdFor) =>
        _releaseAfter is { } releaseAfter ? releaseAfter(holdFor) : throw new InvalidOperationException($"{Description} ends by completion or abandon.");

    public ValueTask DisposeAsync() => _handle.DisposeAsync();
}
