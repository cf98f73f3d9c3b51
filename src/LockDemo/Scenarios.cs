using System.Diagnostics;
using Orleans.Runtime;

namespace LockService.Demo;

/// <summary>
/// The scenarios of the seed <c>000_98f226fb71c03a7e.txt</c> against a real cluster, plus failover and expiry. They run
/// in order on one lock, <c>backup</c>, the way the story goes: server-1 runs the task, server-2 is refused, five
/// servers race, the winner's silo dies, and finally the winner stops refreshing and its lease runs out.
/// </summary>
internal sealed class Scenarios(IGrainFactory grains, DemoOptions options, Narrator narrator)
{
    public const string LockName = "backup";

    /// <summary>The issue's target: after <c>kill -9</c> of its silo a lock is served again within this time.</summary>
    public static readonly TimeSpan FailoverBudget = TimeSpan.FromSeconds(5);

    // Long enough to outlast the failover, so the lease is still valid when the lock comes back.
    private static readonly TimeSpan TaskTtl = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShortTtl = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FailoverGiveUp = TimeSpan.FromSeconds(30);

    private string _holder = "";
    private long _token;

    private ILockGrain Backup => grains.GetGrain<ILockGrain>(LockName);

    public async Task RunAsync()
    {
        await TakeAndRefreshAsync();
        await RefusedWhileHeldAsync();
        await RaceAsync();
        if (options.SkipFailover)
        {
            narrator.Scenario(4, "Failover");
            narrator.Say("skipped (--skip-failover): this demo cannot kill a silo here. Kill the silo that hosts 'backup' yourself to see it.");
        }
        else
        {
            await FailoverAsync();
        }

        await ExpiryAsync();
    }

    private async Task TakeAndRefreshAsync()
    {
        narrator.Scenario(1, "server-1 takes the lock 'backup', then refreshes it (seed case 1)");
        var before = await Backup.Describe();
        narrator.Expect(!before.IsHeld, "'backup' is free at the start (if not, another demo is using this cluster)");

        var first = await Backup.TryAcquire("server-1", TaskTtl);
        narrator.Say(first.Outcome == LockOutcome.Granted
            ? $"server-1: new lock: granted with fencing token {first.FencingToken}, expires at {Narrator.Time(first.ExpiresAt)}"
            : $"server-1: not granted ({first.Outcome}): held by {first.Holder} with fencing token {first.FencingToken}");
        narrator.Expect(first.Outcome == LockOutcome.Granted && first.FencingToken > before.FencingToken, "a new grant, with a fencing token larger than any before");

        // The seed's server-1 runs its task every minute and refreshes the lock each time; a moment is enough here.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var again = await Backup.TryAcquire("server-1", TaskTtl);
        narrator.Say(again.Outcome == LockOutcome.Renewed
            ? $"server-1: existing lock: refreshed, fencing token still {again.FencingToken}, expiry moved from {Narrator.Time(first.ExpiresAt)} to {Narrator.Time(again.ExpiresAt)}"
            : $"server-1: asked again: {again.Outcome}, held by {again.Holder ?? "nobody"} with fencing token {again.FencingToken}");
        narrator.Expect(again.Outcome == LockOutcome.Renewed && again.FencingToken == first.FencingToken && again.ExpiresAt > first.ExpiresAt, "the same owner asking again extends its lease and keeps its token");
        (_holder, _token) = ("server-1", again.FencingToken);
    }

    private async Task RefusedWhileHeldAsync()
    {
        narrator.Scenario(2, "server-2 tries 'backup' while server-1 holds it (seed case 2)");
        var refused = await Backup.TryAcquire("server-2", TaskTtl);
        narrator.Say(refused.Acquired
            ? $"server-2: got the lock ({refused.Outcome})!"
            : $"server-2: refused: the task is already running on {refused.Holder} (fencing token {refused.FencingToken})");
        narrator.Expect(refused.Outcome == LockOutcome.Busy && refused.Holder == "server-1", "server-2 is refused while server-1 holds the lock");
    }

    private async Task RaceAsync()
    {
        narrator.Scenario(3, "five servers race for 'backup' at the same moment (seed case 3)");
        var released = await Backup.Release(_holder, _token);
        narrator.Say($"server-1 finished its task and released the lock ({released.Outcome})");
        narrator.Expect(released.Outcome == LockOutcome.Released, "the holder's release frees the lock");

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var servers = Enumerable.Range(1, 5).Select(i => $"server-{i}").ToArray();
        var attempts = servers.Select(async server =>
        {
            await go.Task;
            return (Server: server, Result: await Backup.TryAcquire(server, TaskTtl));
        }).ToArray();
        go.SetResult();
        var results = await Task.WhenAll(attempts);

        foreach (var (server, result) in results)
        {
            narrator.Say(result.Outcome == LockOutcome.Granted
                ? $"{server}: got the lock and runs the task (fencing token {result.FencingToken})"
                : $"{server}: queue: the task is already running on {result.Holder}");
        }

        var winners = results.Where(r => r.Result.Outcome == LockOutcome.Granted).ToArray();
        narrator.Expect(winners.Length == 1, $"exactly one of the five runs the task (winners: {winners.Length})");
        if (winners.Length >= 1)
        {
            var (winner, grant) = winners[0];
            narrator.Expect(results.All(r => r.Result.Holder == winner), $"the other four were told {winner} holds the lock");
            narrator.Expect(grant.FencingToken > _token, $"the new grant's fencing token {grant.FencingToken} is larger than the previous {_token}");
            (_holder, _token) = (winner, grant.FencingToken);
        }
    }

    private async Task FailoverAsync()
    {
        narrator.Scenario(4, "kill -9 the silo that hosts 'backup' while it is held");
        var management = grains.GetGrain<IManagementGrain>(0);
        var map = SiloProcessMap.Load(options.SilosFile!);
        var host = await management.GetActivationAddress(Backup)
            ?? throw new InvalidOperationException("the grain directory does not know where 'backup' is activated");
        var silo = map.FindBySiloPort(host.Endpoint.Port)
            ?? throw new InvalidOperationException($"silo {host} is not in the process map {options.SilosFile}");

        narrator.Say($"{_holder} holds 'backup' with fencing token {_token}; the lock's activation lives on {silo.Name} ({host.Endpoint}, pid {silo.ProcessId})");
        narrator.Say($"kill -9 {silo.ProcessId}: {silo.Name} dies without a word to the cluster");
        var clock = Stopwatch.StartNew();
        SiloProcessMap.KillHard(silo);

        var (served, elapsed, failedCalls) = await PollUntilServedAsync(clock);
        if (served is null)
        {
            narrator.Expect(false, $"'backup' to be served again (still unanswered after {FailoverGiveUp.TotalSeconds:0} s, {failedCalls} calls failed)");
            return;
        }

        var newHost = await management.GetActivationAddress(Backup);
        var newSilo = newHost is null ? null : map.FindBySiloPort(newHost.Endpoint.Port);
        narrator.Say($"{failedCalls} calls failed while the cluster found out; then {served.Holder ?? "nobody"} held 'backup' with fencing token {served.FencingToken}, now activated on {newSilo?.Name ?? newHost?.ToString() ?? "an unknown silo"}");

        var intact = served.Holder == _holder && served.FencingToken == _token;
        if (intact)
        {
            Console.WriteLine($"failover: lock '{LockName}' served again after {elapsed.TotalSeconds:0.0} s, holder and fencing token intact");
        }
        else
        {
            Console.WriteLine($"failover: lock '{LockName}' served again after {elapsed.TotalSeconds:0.00} s, but holder/fencing token CHANGED: expected {_holder}/{_token}, got {served.Holder ?? "nobody"}/{served.FencingToken}");
        }

        narrator.Expect(intact, $"the holder {_holder} and fencing token {_token} survive the failover");
        narrator.Expect(elapsed <= FailoverBudget, $"served again within {FailoverBudget.TotalSeconds:0} s (took {elapsed.TotalSeconds:0.00} s)");
        narrator.Expect(newSilo is null || newSilo.Name != silo.Name, $"the lock now lives on a surviving silo");

        var refreshed = await Backup.Refresh(_holder, _token, TaskTtl);
        narrator.Say($"{_holder} refreshes its lease after the failover: {refreshed.Outcome}, fencing token {refreshed.FencingToken}");
        narrator.Expect(refreshed.Outcome == LockOutcome.Renewed && refreshed.FencingToken == _token, "the holder carries on with the same token");

        var other = Other(_holder);
        var refused = await Backup.TryAcquire(other, TaskTtl);
        narrator.Say($"{other} tries to take 'backup': {refused.Outcome}, held by {refused.Holder}");
        narrator.Expect(refused.Outcome == LockOutcome.Busy && refused.Holder == _holder, "nobody else gets the lock while the lease is valid");
    }

    /// <summary>
    /// Sends a read-only <see cref="ILockGrain.Describe"/> every <see cref="PollInterval"/> without waiting for earlier
    /// ones (a call that went to the dead silo may hang until its response timeout), and returns the first answer with
    /// the time it arrived, measured from the kill.
    /// </summary>
    private async Task<(LockDescription? Served, TimeSpan Elapsed, int FailedCalls)> PollUntilServedAsync(Stopwatch clock)
    {
        var pending = new List<Task<(LockDescription Description, TimeSpan At)>>();
        var failed = 0;
        while (clock.Elapsed < FailoverGiveUp)
        {
            pending.Add(ProbeAsync());
            // One new call per interval, however fast the failures come back; an answer ends the wait at once.
            var tick = Task.Delay(PollInterval);
            while (pending.Count > 0 && await Task.WhenAny(pending.Append<Task>(tick)) is var finished && finished != tick)
            {
                var done = (Task<(LockDescription Description, TimeSpan At)>)finished;
                pending.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    Abandon(pending);
                    return (done.Result.Description, done.Result.At, failed);
                }

                failed++;
            }

            await tick;
        }

        Abandon(pending);
        return (null, clock.Elapsed, failed);

        async Task<(LockDescription, TimeSpan)> ProbeAsync()
        {
            var description = await Backup.Describe();
            return (description, clock.Elapsed);
        }

        static void Abandon(IEnumerable<Task> calls)
        {
            foreach (var call in calls)
            {
                // Read-only calls still in flight: let them finish or time out unobserved, without noise.
                _ = call.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
        }
    }

    private async Task ExpiryAsync()
    {
        narrator.Scenario(5, $"{_holder} stops refreshing; its lease runs out and the next server gets a larger fencing token");
        var last = await Backup.Refresh(_holder, _token, ShortTtl);
        narrator.Say($"{_holder} refreshes one last time with a {ShortTtl.TotalSeconds:0} s lease (until {Narrator.Time(last.ExpiresAt)}), then stops, as a hung or crashed server would");
        narrator.Expect(last.Outcome == LockOutcome.Renewed && last.FencingToken == _token, "the holder's last refresh is accepted");

        var next = Other(_holder);
        var clock = Stopwatch.StartNew();
        var refusals = 0;
        var refusedOnlyForHolder = true;
        LockResult attempt;
        while (true)
        {
            attempt = await Backup.TryAcquire(next, TaskTtl);
            if (attempt.Acquired || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                break;
            }

            refusals++;
            refusedOnlyForHolder &= attempt.Outcome == LockOutcome.Busy && attempt.Holder == _holder;
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        narrator.Say($"{next} asked every 250 ms: refused {refusals} times while the lease was valid, then got the lock after {clock.Elapsed.TotalSeconds:0.0} s with fencing token {attempt.FencingToken}");
        narrator.Expect(refusedOnlyForHolder, $"every refusal named {_holder} as the holder");
        narrator.Expect(attempt.Outcome == LockOutcome.Granted && attempt.FencingToken > _token, $"a new grant with a fencing token larger than {_token}");
        narrator.Expect(attempt.AcquiredAt >= last.ExpiresAt, $"the new grant ({Narrator.Time(attempt.AcquiredAt)}) came no earlier than the old lease's end ({Narrator.Time(last.ExpiresAt)})");

        var stale = await Backup.Refresh(_holder, _token, TaskTtl);
        narrator.Say($"{_holder} wakes up and refreshes with its old token {_token}: {stale.Outcome}");
        narrator.Expect(stale.Outcome == LockOutcome.NotHolder, "the old holder is refused; a resource that checks fencing tokens would refuse its writes too");

        var released = await Backup.Release(next, attempt.FencingToken);
        narrator.Say($"{next} finishes and releases the lock ({released.Outcome})");
    }

    private static string Other(string holder) => holder == "server-2" ? "server-1" : "server-2";
}
