using LockService.Chaos.Workload;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// One named chaos test: the workload, how the silos start, and the nemesis that injects its faults while the
/// workload runs. <see cref="MeasureC3"/> marks the test where overlap is measured rather than forbidden (clock skew
/// beyond the stated bound); <see cref="MeasureC7"/> the test where a handle's belief past another grant is (clock skew
/// beyond the handle's safety margin, which is all the loss signal can absorb once renewals fail);
/// <see cref="SiloNetworks"/> puts each silo in a network namespace of its own (<see cref="SiloNetwork"/>) so the
/// nemesis can partition it. A test with a <see cref="Queue"/> workload runs queue workers instead of lock clients and is
/// judged by <see cref="Workload.QueueWorkerLogs"/> (see <see cref="QueueChaosRun"/>).
/// </summary>
public sealed record ChaosTest(
    string Name,
    ChaosSettings Settings,
    Func<ChaosCluster, ChaosSettings, CancellationToken, Task> Nemesis,
    Func<int, IEnumerable<string>>? SiloArguments = null,
    bool MeasureC3 = false,
    bool MeasureC7 = false,
    bool SiloNetworks = false,
    QueueWorkload? Queue = null);
