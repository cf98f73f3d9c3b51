using LockService.Bench.Timing;

namespace LockService.Bench.Scenarios;

/// <summary>
/// Counts holders in this process, per lock, between "acquire returned" and "release sent", and checks that every
/// grant of a peer that gives fencing tokens carries a larger token than the grant before it. Two holders at once is a
/// broken lock, and so is a token that does not rise: every such event is counted and fails the run.
/// </summary>
internal sealed class ExclusionMonitor(int locks = 1)
{
    /// <summary>
    /// How long <see cref="HoldAsync"/> keeps a lock: long enough that the other clients' continuations (on the other
    /// core too) run meanwhile, so a second holder would be seen, and short next to a grant's round trip (0.3–3 ms).
    /// A precise sleep (<see cref="PreciseDelay"/>), not a spin, so it takes no core from the servers under test.
    /// </summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMicroseconds(200);

    private readonly int[] _holders = new int[locks];
    private readonly long[] _lastTokens = new long[locks];
    private long _overlaps;
    private long _tokenRegressions;

    public long Overlaps => Interlocked.Read(ref _overlaps);

    /// <summary>Grants whose fencing token was not larger than the previous grant's of the same lock.</summary>
    public long TokenRegressions => Interlocked.Read(ref _tokenRegressions);

    /// <summary>Enters, holds for <see cref="Hold"/>, exits: the whole critical section of a scenario that does no work of its own.</summary>
    public async Task HoldAsync(int lockIndex, long? fencingToken)
    {
        Enter(lockIndex, fencingToken);
        await PreciseDelay.Shared.WaitAsync(Hold);
        Exit(lockIndex);
    }

    public void Enter(int lockIndex = 0, long? fencingToken = null)
    {
        if (Interlocked.Increment(ref _holders[lockIndex]) != 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        // Tokens grow with every grant of a lock name, and each grant is seen by exactly one holder here, so each
        // token this monitor sees must be above the one before (exchanged atomically: holders that overlap anyway
        // must not hide a regression from each other).
        if (fencingToken is { } token && Interlocked.Exchange(ref _lastTokens[lockIndex], token) >= token)
        {
            Interlocked.Increment(ref _tokenRegressions);
        }
    }

    public void Exit(int lockIndex = 0) => Interlocked.Decrement(ref _holders[lockIndex]);
}
