using LockService.Bench.Peers;
using LockService.Bench.Reporting;

namespace LockService.Bench.Scenarios;

/// <summary>
/// One of the timed scenarios (a)–(d), (f) and (b) at 100,000 names. The runner warms every peer up once, then measures in short windows that take
/// turns between the peers, so a change in how busy the machine is (it is shared) falls on every peer alike instead of
/// on whichever peer happened to run at that moment. Each scenario keeps its figures per peer across the windows.
/// </summary>
internal interface IScenario
{
    string Id { get; }

    /// <summary>
    /// Whether the measured time is one contiguous window per peer, followed by a pause (the scenario's own), instead
    /// of windows taking turns. See <see cref="ManyNames"/> for why (b) is measured so.
    /// </summary>
    bool Contiguous => false;

    /// <summary>Whether <paramref name="peer"/> runs this scenario (all do, unless the scenario names its peers).</summary>
    bool Includes(IBenchLock peer) => true;

    /// <summary>Runs <paramref name="peer"/> through the scenario without keeping figures (JIT, pools, first use of each name).</summary>
    Task WarmUpAsync(IBenchLock peer);

    /// <summary>Runs one measured window of <paramref name="window"/> and adds its figures to the peer's.</summary>
    Task MeasureAsync(IBenchLock peer, TimeSpan window);

    /// <summary>Writes the peer's figures over all its windows, and reports any correctness failure.</summary>
    void Report(IBenchLock peer, BenchResults results);
}
