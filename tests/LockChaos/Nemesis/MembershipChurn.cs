using LockService.Chaos.History;
using LockService.Testing;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// Fault 8, the cluster's membership changing under load, one step per round in turn: a rolling restart (SIGTERM a
/// silo, start it again on its ports), a silo joining, and a silo dying (<c>kill -9</c> of the one hosting the hot lock,
/// left dead until the next join starts a new silo in its place). Graceful leaves hand activations over; joins change
/// where new activations go; deaths make the others detect the loss and take its locks over from storage.
/// </summary>
public sealed class MembershipChurn
{
    private SiloSlot? _dead;
    private int _nextRestart;

    public async Task RunRoundAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var start = HistoryFile.Now();
        string fault;
        switch (round % 3)
        {
            case 0:
                var slot = NextLive(cluster);
                slot.Process!.Terminate();
                await slot.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
                await cluster.RestartSiloAsync(slot);
                fault = $"SIGTERM and restart silo {slot.Index}";
                break;
            case 1:
                var joined = await JoinAsync(cluster);
                fault = $"silo {joined.Index} joined";
                break;
            default:
                var victim = await cluster.HostOfAsync(Faults.HotLock) is { Process.HasExited: false } host ? host : NextLive(cluster);
                victim.Process!.Kill();
                _dead = victim;
                fault = $"kill -9 silo {victim.Index} hosting {Faults.HotLock}, left dead";
                break;
        }

        cluster.RecordFault(fault, start, HistoryFile.Now());
        Faults.Log(fault);
    }

    /// <summary>A new silo joins: in the slot of the last one that died, or in a slot of its own the first time.</summary>
    private async Task<SiloSlot> JoinAsync(ChaosCluster cluster)
    {
        if (_dead is { } dead)
        {
            _dead = null;
            await cluster.RestartSiloAsync(dead);
            return dead;
        }

        return await cluster.AddSiloAsync();
    }

    private SiloSlot NextLive(ChaosCluster cluster)
    {
        var live = cluster.Silos.Where(s => s.Process is { HasExited: false }).ToList();
        return live[_nextRestart++ % live.Count];
    }
}
