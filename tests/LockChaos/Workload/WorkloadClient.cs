using LockService.Chaos.History;
using LockService.Client;
using Npgsql;

namespace LockService.Chaos.Workload;

/// <summary>Settings of one workload client process.</summary>
public sealed record WorkloadSettings(
    string ClientId,
    int Workers,
    IReadOnlyList<string> Gateways,
    string ClusterId,
    string ServiceId,
    int Locks,
    TimeSpan Ttl,
    TimeSpan Duration,
    string HistoryPath,
    string Postgres,
    (int Min, int Max) HoldMs);

/// <summary>
/// A client process of the chaos suite: its workers take random locks, write to the protected resources while they
/// hold them, refresh and release, and record every call's invocation and outcome with the shared monotonic clock.
/// A call that timed out or hit a failing silo is "unknown" and retried with the same owner.
/// </summary>
public static class WorkloadClient
{
    public static async Task<int> RunAsync(WorkloadSettings settings)
    {
        await using var client = await LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in settings.Gateways)
            {
                options.Gateways.Add(gateway);
            }

            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
            options.ResponseTimeout = TimeSpan.FromSeconds(5);
        });
        var grains = client.Grains;
        await using var database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(settings.Postgres) { Timeout = 5, CommandTimeout = 5 }.ConnectionString);
        var resources = new ProtectedResources(database);
        using var history = new HistoryFile(settings.HistoryPath);
        var until = DateTime.UtcNow + settings.Duration;

        await Task.WhenAll(Enumerable.Range(0, settings.Workers).Select(w =>
            Task.Run(() => new Worker($"{settings.ClientId}-{w}", settings, grains, resources, history).RunAsync(until))));
        return 0;
    }

    private sealed class Worker(string client, WorkloadSettings settings, IGrainFactory grains, ProtectedResources resources, HistoryFile history)
    {
        private readonly Random _random = new();
        private long _ids;
        private long _attempts;

        public async Task RunAsync(DateTime until)
        {
            while (DateTime.UtcNow < until)
            {
                var lockName = $"chaos-{_random.Next(settings.Locks)}";
                var owner = $"{client}:{++_attempts}";
                var grain = grains.GetGrain<ILockGrain>(lockName);
                var grant = await AcquireAsync(grain, lockName, owner);
                if (grant is null)
                {
                    await Task.Delay(_random.Next(5, 40));
                    continue;
                }

                await HoldAsync(grain, lockName, owner, grant.FencingToken);
                await CallAsync(HistoryEvent.Ops.Release, lockName, owner, grant.FencingToken, null, () => grain.Release(owner, grant.FencingToken),
                    r => r.Outcome is LockOutcome.Released or LockOutcome.AlreadyReleased);
            }
        }

        private async Task<LockResult?> AcquireAsync(ILockGrain grain, string lockName, string owner)
        {
            // An unknown outcome may hide a grant: ask again as the same owner, which finds it.
            for (var attempt = 0; attempt < 4; attempt++)
            {
                var (outcome, result) = await CallAsync(HistoryEvent.Ops.Acquire, lockName, owner, null, settings.Ttl, () => grain.TryAcquire(owner, settings.Ttl), r => r.Acquired);
                if (outcome != HistoryEvent.Phases.Unknown)
                {
                    return outcome == HistoryEvent.Phases.Ok ? result : null;
                }

                await Task.Delay(200);
            }

            return null;
        }

        private async Task HoldAsync(ILockGrain grain, string lockName, string owner, long token)
        {
            // Write first, check afterwards, as real code does: a process that was paused (GC, VM stall, SIGSTOP)
            // wakes up mid-hold and writes before it notices anything. The fenced resource must refuse that write
            // if a later holder has written meanwhile; the unfenced counter shows what happens without fencing.
            var holdUntil = DateTime.UtcNow + TimeSpan.FromMilliseconds(_random.Next(settings.HoldMs.Min, settings.HoldMs.Max));
            var lastRefresh = DateTime.UtcNow;
            while (true)
            {
                await ResourceAsync(HistoryEvent.Ops.FencedWrite, lockName, owner, token, async () => await resources.FencedWriteAsync(lockName, token, client) ? null : "stale");
                await ResourceAsync(HistoryEvent.Ops.Counter, lockName, owner, token, async () => { await resources.IncrementUnfencedAsync(lockName); return null; });
                if (DateTime.UtcNow - lastRefresh > settings.Ttl / 3)
                {
                    lastRefresh = DateTime.UtcNow;
                    var (outcome, _) = await CallAsync(HistoryEvent.Ops.Refresh, lockName, owner, token, settings.Ttl, () => grain.Refresh(owner, token, settings.Ttl), r => r.Outcome == LockOutcome.Renewed);
                    if (outcome == HistoryEvent.Phases.Fail)
                    {
                        return; // Lost: stop using the resource.
                    }
                }

                if (DateTime.UtcNow >= holdUntil)
                {
                    return;
                }

                await Task.Delay(_random.Next(30, 150));
            }
        }

        private async Task<(string Outcome, LockResult? Result)> CallAsync(string op, string lockName, string owner, long? token, TimeSpan? ttl, Func<Task<LockResult>> call, Func<LockResult, bool> succeeded)
        {
            var id = Record(op, HistoryEvent.Phases.Invoke, lockName, owner, token, ttl: ttl);
            try
            {
                var result = await call();
                var outcome = succeeded(result) ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail;
                Record(op, outcome, lockName, owner, result.Acquired || outcome == HistoryEvent.Phases.Ok ? result.FencingToken : token, result.Outcome.ToString(), id: id);
                return (outcome, result);
            }
            catch (Exception exception) when (exception is not ArgumentException)
            {
                Record(op, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: id);
                return (HistoryEvent.Phases.Unknown, null);
            }
        }

        private async Task ResourceAsync(string op, string lockName, string owner, long token, Func<Task<string?>> write)
        {
            var id = Record(op, HistoryEvent.Phases.Invoke, lockName, owner, token);
            try
            {
                var refused = await write();
                Record(op, refused is null ? HistoryEvent.Phases.Ok : HistoryEvent.Phases.Fail, lockName, owner, token, refused, id: id);
            }
            catch (Exception exception)
            {
                Record(op, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: id);
            }
        }

        /// <summary>Writes one event of an operation (a new operation id for its invoke) with the shared monotonic time.</summary>
        private long Record(string op, string phase, string lockName, string owner, long? token, string? detail = null, TimeSpan? ttl = null, long? id = null)
        {
            var operation = id ?? ++_ids;
            history.Write(new HistoryEvent { Client = client, Id = operation, Op = op, Phase = phase, Lock = lockName, Owner = owner, Token = token, TtlMs = ttl?.TotalMilliseconds, T = HistoryFile.Now(), Detail = detail });
            return operation;
        }
    }
}
