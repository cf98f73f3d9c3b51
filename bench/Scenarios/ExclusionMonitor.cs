using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// Counts holders in this process, per lock, between "acquire returned" and "release sent", and checks that every
/// grant of a peer that gives fencing tokens carries a larger token than the grant before it. Two holders at once is a
/// broken lock, and so is a token that does not rise: every such event is counted and fails the run.
/// </summary>
/// <remarks>
/// A counting semaphore is watched the same way with <c>maxHolders</c> above one: more holders than that at once is
/// the overlap. Where a peer names the slot of a grant, a slot held twice at once is an overlap too, and tokens are
/// judged per slot (a semaphore's tokens grow per name, but grants of different slots interleave, so only the grants
/// of one slot follow each other).
/// </remarks>
internal sealed class ExclusionMonitor(int locks = 1, int maxHolders = 1)
{
    /// <summary>
    /// How long <see cref="HoldAsync"/> keeps a lock: long enough that the other clients' continuations (on the other
    /// core too) run meanwhile, so a second holder would be seen, and short next to a grant's round trip (0.3–3 ms).
    /// A precise sleep (<see cref="PreciseDelay"/>), not a spin, so it takes no core from the servers under test.
    /// </summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMicroseconds(200);

    private readonly int[] _holders = new int[locks];
    private readonly int[] _slotHolders = new int[locks * maxHolders];
    private readonly long[] _lastTokens = new long[locks * maxHolders];
    private long _overlaps;
    private long _tokenRegressions;

    /// <summary>How many holders of one lock (or semaphore) may hold at once.</summary>
    public int MaxHolders => maxHolders;

    /// <summary>Grants that made more than <see cref="MaxHolders"/> holders at once, or a second holder of one slot.</summary>
    public long Overlaps => Interlocked.Read(ref _overlaps);

    /// <summary>Grants whose fencing token was not larger than the previous grant's of the same lock (or slot).</summary>
    public long TokenRegressions => Interlocked.Read(ref _tokenRegressions);

    /// <summary>Enters, holds for <see cref="Hold"/>, exits: the whole critical section of a scenario that does no work of its own.</summary>
    public async Task HoldAsync(int lockIndex, long? fencingToken, int? slot = null)
    {
        Enter(lockIndex, fencingToken, slot);
        await PreciseDelay.Shared.WaitAsync(Hold);
        Exit(lockIndex, slot);
    }

    /// <param name="slot">The semaphore slot the peer granted, if it names one; must be below <see cref="MaxHolders"/>.</param>
    public void Enter(int lockIndex = 0, long? fencingToken = null, int? slot = null)
    {
        if (Interlocked.Increment(ref _holders[lockIndex]) > maxHolders)
        {
            Interlocked.Increment(ref _overlaps);
        }

        if (slot is { } held && Interlocked.Increment(ref _slotHolders[SlotIndex(lockIndex, held)]) != 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        // Tokens grow with every grant of a lock name, and each grant is seen by exactly one holder here, so each
        // token this monitor sees must be above the one before (exchanged atomically: holders that overlap anyway
        // must not hide a regression from each other).
        if (fencingToken is { } token && Interlocked.Exchange(ref _lastTokens[SlotIndex(lockIndex, slot ?? 0)], token) >= token)
        {
            Interlocked.Increment(ref _tokenRegressions);
        }
    }

    public void Exit(int lockIndex = 0, int? slot = null)
    {
        if (slot is { } held)
        {
            Interlocked.Decrement(ref _slotHolders[SlotIndex(lockIndex, held)]);
        }

        Interlocked.Decrement(ref _holders[lockIndex]);
    }

    // A slot outside 0..max-1 is a broken peer, not a figure: it stops the peer's run (and so fails the run).
    private int SlotIndex(int lockIndex, int slot) => slot >= 0 && slot < maxHolders
        ? lockIndex * maxHolders + slot
        : throw new InvalidOperationException($"The peer granted slot {slot}, outside 0..{maxHolders - 1}.");
}
