using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Chaos.Workload;
using LockService.Testing;
using Orleans.Runtime.Placement;

namespace LockService.Chaos.Nemesis;

/// <summary>The faults the nemesis injects. Each records its start and end in the nemesis history (for C6).</summary>
public static class Faults
{
    /// <summary>The lock the nemesis aims at: the workload's first lock, which every client takes now and then.</summary>
    public const string HotLock = "chaos-0";

    /// <summary>Failure detection time of the tuned membership settings, for scaling pauses.</summary>
    public static readonly TimeSpan DetectionTime = TimeSpan.FromSeconds(4);

    private static readonly Random Random = new();

    public static Task NoneAsync(ChaosCluster cluster, ChaosSettings settings, CancellationToken stop) => Task.Delay(Timeout.Infinite, stop);

    /// <summary>Runs <paramref name="fault"/> again and again at the test's fault interval until the test ends.</summary>
    public static Func<ChaosCluster, ChaosSettings, CancellationToken, Task> Every(Func<ChaosCluster, ChaosSettings, int, Task> fault) =>
        async (cluster, settings, stop) =>
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var wait = settings.FaultInterval.Min + (settings.FaultInterval.Max - settings.FaultInterval.Min) * Random.NextDouble();
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                await fault(cluster, settings, round);
            }
        };

    /// <summary>The semaphore the kills aim at every other round: the workload's first, which every semaphore worker takes now and then.</summary>
    public static readonly string HotSemaphore = SemaphoreWorker.SemaphoreName(0);

    /// <summary>The kills of <see cref="KillHostingSiloAsync"/>, starting with the hot semaphore's host: a short test then kills a semaphore's silo too.</summary>
    public static Task KillSemaphoreHostFirstAsync(ChaosCluster cluster, ChaosSettings settings, int round) => KillHostingSiloAsync(cluster, settings, round + 1);

    /// <summary>Kills the silo hosting the hot lock, or, every other round when the workload has semaphores, the hot semaphore.</summary>
    public static async Task KillHostingSiloAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var semaphore = settings.SemaphoreWorkersPerClient > 0 && round % 2 == 1;
        var target = semaphore ? HotSemaphore : HotLock;
        var slot = (semaphore ? await cluster.HostOfSemaphoreAsync(target) : await cluster.HostOfAsync(target)) ?? cluster.Silos[round % cluster.Silos.Count];
        var at = HistoryFile.Now();
        slot.Process!.Kill();
        cluster.RecordFault($"kill -9 silo {slot.Index} hosting {target}", at, at);
        Log($"kill -9 silo {slot.Index} (hosting {target})");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.RestartSiloAsync(slot);
    }

    /// <summary>
    /// Moves every lock's activation across the clock boundary (Orleans live migration): off silo 0, whose clock is
    /// skewed, onto another silo, or onto silo 0 from elsewhere. A lease written under one clock is then judged by the
    /// other, which is how skew between silos shows itself. The target is given as a placement hint, because the
    /// default placement would keep a migrating activation on its own silo.
    /// </summary>
    public static async Task MigrateLocksAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var at = HistoryFile.Now();
        var silos = await cluster.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var moves = new List<string>();
        for (var i = 0; i < settings.Locks; i++)
        {
            var name = $"chaos-{i}";
            var host = await cluster.HostOfAsync(name);
            var targetSlot = host?.Index == 0 ? cluster.Silos[1 + Random.Next(cluster.Silos.Count - 1)] : cluster.Silos[0];
            var target = silos.Keys.FirstOrDefault(s => s.Endpoint.Port == targetSlot.SiloPort);
            if (host is null || target is null)
            {
                continue;
            }

            RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
            try
            {
                await cluster.Grains.GetGrain<ILockGrain>(name).Cast<Orleans.Core.Internal.IGrainManagementExtension>().MigrateOnIdle();
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }

            moves.Add($"{name} {host.Index}->{targetSlot.Index}");
        }

        cluster.RecordFault("migrate every lock across the clock boundary", at, HistoryFile.Now());
        await Task.Delay(500);
        var after = await cluster.HostOfAsync(HotLock);
        Log($"migrating {string.Join(", ", moves)}; {HotLock} is now on silo {after?.Index}");
    }

    /// <summary>
    /// The queue workload's fault: a queue worker killed with SIGKILL at random (a new incarnation takes its place) in
    /// even rounds, a silo chosen at random killed and restarted in odd ones.
    /// </summary>
    public static async Task KillQueueWorkerOrSiloAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var at = HistoryFile.Now();
        if (round % 2 == 0)
        {
            var worker = await cluster.KillQueueWorkerAsync(Random.Next(cluster.QueueWorkerCount));
            cluster.RecordFault($"kill -9 queue worker {worker}", at, HistoryFile.Now());
            Log($"kill -9 queue worker {worker}");
            return;
        }

        var slot = cluster.Silos[Random.Next(cluster.Silos.Count)];
        slot.Process!.Kill();
        cluster.RecordFault($"kill -9 silo {slot.Index}", at, at);
        Log($"kill -9 silo {slot.Index}");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.RestartSiloAsync(slot);
    }

    public static Task KillClientAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var clients = cluster.LiveClients;
        if (clients.Count == 0)
        {
            return Task.CompletedTask;
        }

        var (id, process) = clients[Random.Next(clients.Count)];
        var at = HistoryFile.Now();
        process.Kill(entireProcessTree: true);
        cluster.RecordFault($"kill -9 client {id}", at, at, id);
        Log($"kill -9 client {id}");
        cluster.StartClient();
        return Task.CompletedTask;
    }

    public static async Task PauseHostingSiloAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        // 0.5×, 1× and 3× the failure detection time, in turn. A silo declared dead while paused shuts itself down on
        // waking; its writes in between must fail the ETag check.
        var factor = new[] { 0.5, 1.0, 3.0 }[round % 3];
        var slot = await cluster.HostOfAsync(HotLock) ?? cluster.Silos[round % cluster.Silos.Count];
        var pause = DetectionTime * factor;
        var start = HistoryFile.Now();
        slot.Process!.Pause();
        Log($"SIGSTOP silo {slot.Index} (hosting {HotLock}) for {pause.TotalSeconds:0.0} s");
        await Task.Delay(pause);
        slot.Process.Resume();
        cluster.RecordFault($"SIGSTOP silo {slot.Index} for {pause.TotalSeconds:0.0} s", start, HistoryFile.Now());
        await Task.Delay(TimeSpan.FromSeconds(5));
        if (slot.Process.HasExited)
        {
            await cluster.RestartSiloAsync(slot);
        }
    }

    public static async Task PauseClientAsync(ChaosCluster cluster, ChaosSettings settings, int round)
    {
        var clients = cluster.LiveClients;
        if (clients.Count == 0)
        {
            return;
        }

        // A client that holds a lock right now (owners are "<client>-<worker>:<attempt>"), else any client. Paused past
        // its TTL, it wakes still believing it holds the lock and writes to the fenced resource, which must refuse it
        // once the next holder has written with a larger token.
        var holders = new List<string>();
        for (var i = 0; i < settings.Locks; i++)
        {
            if ((await cluster.Grains.GetGrain<ILockGrain>($"chaos-{i}").Describe()).Holder is { } holder)
            {
                holders.Add(holder[..holder.IndexOf('-')]);
            }
        }

        var (id, process) = clients.FirstOrDefault(c => holders.Contains(c.Id)) is { Process: not null } holding ? holding : clients[Random.Next(clients.Count)];
        var pause = settings.Ttl * 2 + TimeSpan.FromSeconds(1);
        var start = HistoryFile.Now();
        Signals.Send(process.Id, "STOP");
        Log($"SIGSTOP client {id}{(holders.Contains(id) ? " (holding a lock)" : "")} for {pause.TotalSeconds:0.0} s");
        await Task.Delay(pause);
        Signals.TrySend(process.Id, "CONT");
        cluster.RecordFault($"SIGSTOP client {id}", start, HistoryFile.Now(), id);
    }

    public static Func<ChaosCluster, ChaosSettings, int, Task> Postgres(PostgresControl postgres, string kind) => async (cluster, settings, round) =>
    {
        var start = HistoryFile.Now();
        switch (kind)
        {
            case "restart":
                await postgres.RestartImmediateAsync();
                break;
            case "stop":
                await postgres.StopImmediateAsync();
                await Task.Delay(TimeSpan.FromSeconds(10));
                await postgres.StartAsync();
                break;
            default:
                await postgres.TerminateBackendsAsync();
                break;
        }

        cluster.RecordFault($"PostgreSQL {kind}", start, HistoryFile.Now());
        Log($"PostgreSQL {kind}");
    };

    /// <summary>
    /// Cuts the silo hosting the hot lock off from the other silos (with <paramref name="keepPostgres"/>, it still
    /// reaches PostgreSQL and the clients; without, nothing) for long enough that the others declare it dead and take
    /// its locks over. Meanwhile it keeps serving whoever still reaches it: its activations' writes must fail the ETag
    /// check. Once healed, a silo declared dead stops itself on reading the membership table and is started again.
    /// </summary>
    public static Func<ChaosCluster, ChaosSettings, int, Task> PartitionSilo(bool keepPostgres) => async (cluster, settings, round) =>
    {
        var network = cluster.Network ?? throw new InvalidOperationException("A partition test needs its silos in network namespaces.");
        var slot = await cluster.HostOfAsync(HotLock) ?? cluster.Silos[round % cluster.Silos.Count];
        var what = keepPostgres ? "from the other silos (PostgreSQL and clients still reachable)" : "from everything";
        var start = HistoryFile.Now();
        network.CutOff(slot.Index, keepPostgres);
        Log($"cut silo {slot.Index} (hosting {HotLock}) off {what}");
        await Task.Delay(PartitionTime);
        network.Heal(slot.Index);
        cluster.RecordFault($"silo {slot.Index} cut off {what} for {PartitionTime.TotalSeconds:0} s", start, HistoryFile.Now());
        var declaredDead = await ExitsAsync(slot.Process!, TimeSpan.FromSeconds(30));
        Log($"healed silo {slot.Index}; {(declaredDead ? "it had been declared dead and stopped itself; restarting it" : "it stayed a member")}");
        cluster.Notes.Add($"partition of silo {slot.Index} {what}: {(declaredDead ? "declared dead, stopped itself, restarted" : "not declared dead, stayed")}");
        if (declaredDead)
        {
            await cluster.RestartSiloAsync(slot);
        }
    };

    /// <summary>
    /// How long a partition lasts: past Orleans' 12 s liveness window (a silo that sent anything within it is not voted
    /// against) plus failure detection, so the others declare the silo dead.
    /// </summary>
    public static readonly TimeSpan PartitionTime = TimeSpan.FromSeconds(25);

    private static async Task<bool> ExitsAsync(SiloProcess silo, TimeSpan deadline)
    {
        try
        {
            await silo.WaitForExitAsync(deadline);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Every silo starts with the crash hook on lock <c>chaos-crash</c>: the one hosting it dies right after writing its
    /// state, before answering. The nemesis retries as the same owner until answered, and the grant must be the one
    /// that landed. A crashed silo comes back without the hook.
    /// </summary>
    public static async Task CrashAfterWriteAsync(ChaosCluster cluster, ChaosSettings settings, CancellationToken stop)
    {
        await Task.Delay(TimeSpan.FromSeconds(5), stop);
        const string crashLock = "chaos-crash";
        var owner = "nemesis:retrier";
        var grain = cluster.Grains.GetGrain<ILockGrain>(crashLock);
        for (var attempt = 1; attempt < 30 && !stop.IsCancellationRequested; attempt++)
        {
            var invoked = HistoryFile.Now();
            cluster.Nemesis.Write(new HistoryEvent { Client = "retrier", Id = attempt, Op = HistoryEvent.Ops.Acquire, Phase = HistoryEvent.Phases.Invoke, Lock = crashLock, Owner = owner, TtlMs = 60_000, T = invoked });
            try
            {
                var result = await grain.TryAcquire(owner, TimeSpan.FromMinutes(1));
                cluster.Nemesis.Write(new HistoryEvent { Client = "retrier", Id = attempt, Op = HistoryEvent.Ops.Acquire, Phase = result.Acquired ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail, Lock = crashLock, Owner = owner, Token = result.FencingToken, T = HistoryFile.Now(), Detail = result.Outcome.ToString() });
                Log($"retry {attempt} as the same owner: {result.Outcome} with fencing token {result.FencingToken}");
                if (result.Acquired)
                {
                    await grain.Release(owner, result.FencingToken);
                    break;
                }
            }
            catch (Exception exception) when (exception is not ArgumentException)
            {
                var at = HistoryFile.Now();
                cluster.Nemesis.Write(new HistoryEvent { Client = "retrier", Id = attempt, Op = HistoryEvent.Ops.Acquire, Phase = HistoryEvent.Phases.Unknown, Lock = crashLock, Owner = owner, T = at, Detail = exception.GetType().Name });
                foreach (var slot in cluster.Silos.Where(s => s.Process!.HasExited))
                {
                    cluster.RecordFault($"silo {slot.Index} killed after writing {crashLock}", invoked, at);
                    Log($"silo {slot.Index} died after writing {crashLock}; restarting it without the hook");
                    await cluster.RestartSiloAsync(slot, []);
                }
            }
        }

        await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public static void Log(string message) => Console.WriteLine($"  [{DateTime.UtcNow:HH:mm:ss.f}] {message}");
}
