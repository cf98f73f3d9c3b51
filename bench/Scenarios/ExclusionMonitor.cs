namespace LockService.Bench.Scenarios;

/// <summary>
/// Counts holders in this process, per lock, between "acquire returned" and "release sent". Two at once is a broken
/// lock: every such overlap is reported and fails the run.
/// </summary>
internal sealed class ExclusionMonitor(int locks = 1)
{
    private readonly int[] _holders = new int[locks];
    private long _overlaps;

    public long Overlaps => Interlocked.Read(ref _overlaps);

    public void Enter(int lockIndex = 0)
    {
        if (Interlocked.Increment(ref _holders[lockIndex]) != 1)
        {
            Interlocked.Increment(ref _overlaps);
        }
    }

    public void Exit(int lockIndex = 0) => Interlocked.Decrement(ref _holders[lockIndex]);
}
