using LockService.Chaos.History;

namespace LockService.Chaos.Workload;

/// <summary>
/// A worker that calls the lock grain directly (<c>TryAcquire</c>, <c>Refresh</c>, <c>Release</c>), as the card's
/// example does: every call is one recorded operation, so the checker sees each refresh. A call that timed out or hit
/// a failing silo is "unknown" and retried with the same owner.
/// </summary>
public sealed class RawGrainWorker(WorkerHistory history, WorkloadSettings settings, IGrainFactory grains)
{
    private readonly Random _random = new();
    private long _attempts;

    public async Task RunAsync(DateTime until)
    {
        while (DateTime.UtcNow < until)
        {
            var lockName = $"chaos-{_random.Next(settings.Locks)}";
            var owner = $"{history.Client}:{++_attempts}";
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
            await history.WriteProtectedAsync(lockName, owner, token);
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

    private Task<(string Outcome, LockResult? Result)> CallAsync(string op, string lockName, string owner, long? token, TimeSpan? ttl, Func<Task<LockResult>> call, Func<LockResult, bool> succeeded) =>
        history.CallAsync(op, lockName, owner, token, ttl, call, succeeded, result =>
        {
            // A release that hands the lock to a waiter answers with the waiter's new token: the operation keeps the
            // caller's own token (which is what the checker matches a release against), the answer's goes into the detail.
            var recorded = op == HistoryEvent.Ops.Acquire ? (result.Acquired ? result.FencingToken : null) : token;
            return (recorded, null, recorded == result.FencingToken ? result.Outcome.ToString() : $"{result.Outcome} (token {result.FencingToken})");
        });
}
