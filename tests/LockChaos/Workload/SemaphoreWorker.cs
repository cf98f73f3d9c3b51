using LockService.Chaos.History;

namespace LockService.Chaos.Workload;

/// <summary>
/// A worker on the semaphores (<c>chaos-sem-N</c>, each of limit <see cref="WorkloadSettings.SemaphoreMaxCount"/>),
/// calling the semaphore grain directly: <c>TryAcquire</c> or a fair <c>Acquire</c> with a short wait, <c>Refresh</c>
/// and <c>Release</c>, each one recorded operation (acquires with the limit, so the checker's C3 allows that many
/// holders). While it holds a slot it writes to that slot's fenced resource. Every acquisition has a lease id of its
/// own; a call whose outcome is unknown is asked again with the same lease id, which finds a grant that landed
/// instead of taking a second slot.
/// </summary>
public sealed class SemaphoreWorker(WorkerHistory history, WorkloadSettings settings, IGrainFactory grains)
{
    private readonly Random _random = new();
    private long _attempts;

    /// <summary>The name of the workload's semaphore <paramref name="index"/>; apart from the locks' <c>chaos-N</c>.</summary>
    public static string SemaphoreName(int index) => $"chaos-sem-{index}";

    public async Task RunAsync(DateTime until)
    {
        while (DateTime.UtcNow < until)
        {
            var name = SemaphoreName(_random.Next(settings.Semaphores));
            var owner = $"{history.Client}:{++_attempts}";
            var leaseId = LeaseIds.New();
            var grain = grains.GetGrain<ISemaphoreGrain>(name);
            var grant = await AcquireAsync(grain, name, owner, leaseId);
            if (grant is null)
            {
                await Task.Delay(_random.Next(5, 40));
                continue;
            }

            var (token, slot) = (grant.FencingToken, grant.Slot!.Value);
            await HoldAsync(grain, name, owner, leaseId, token, slot);
            await CallAsync(HistoryEvent.Ops.Release, name, owner, token, slot, null, () => grain.Release(leaseId),
                r => r.Outcome is LockOutcome.Released or LockOutcome.AlreadyReleased);
        }
    }

    private async Task<SemaphoreResult?> AcquireAsync(ISemaphoreGrain grain, string name, string owner, string leaseId)
    {
        // Half try at once, half wait in the semaphore's queue. A wait that timed out is never granted afterwards
        // (the grain's promise), so its Busy is a definite refusal; the contract still asks the caller to abandon.
        var wait = _random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_random.Next(200, 2000));
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var (outcome, result) = await CallAsync(HistoryEvent.Ops.Acquire, name, owner, null, null, settings.Ttl,
                () => wait == TimeSpan.Zero || attempt > 0
                    ? grain.TryAcquire(owner, leaseId, settings.SemaphoreMaxCount, settings.Ttl)
                    : grain.Acquire(owner, leaseId, settings.SemaphoreMaxCount, settings.Ttl, wait),
                r => r.Acquired, max: settings.SemaphoreMaxCount);
            if (outcome == HistoryEvent.Phases.Ok)
            {
                return result;
            }

            if (outcome == HistoryEvent.Phases.Fail)
            {
                // A plain try that was refused left nothing behind; a wait, or a call before this one that may still
                // be waiting in the grain, is withdrawn.
                if (wait > TimeSpan.Zero || attempt > 0)
                {
                    await AbandonAsync(grain, leaseId);
                }

                return null;
            }

            // Unknown: a grant may have landed; the same lease id finds it (Renewed, same slot and token).
            await Task.Delay(200);
        }

        await AbandonAsync(grain, leaseId);
        return null;
    }

    private async Task HoldAsync(ISemaphoreGrain grain, string name, string owner, string leaseId, long token, int slot)
    {
        // As the lock workers: write first, check afterwards, so a paused holder writes before it notices; its slot's
        // fenced resource must refuse it once the slot's next holder has written.
        var holdUntil = DateTime.UtcNow + TimeSpan.FromMilliseconds(_random.Next(settings.HoldMs.Min, settings.HoldMs.Max));
        var lastRefresh = DateTime.UtcNow;
        while (true)
        {
            await history.WriteSlotAsync(name, owner, token, slot);
            if (DateTime.UtcNow - lastRefresh > settings.Ttl / 3)
            {
                lastRefresh = DateTime.UtcNow;
                var (outcome, _) = await CallAsync(HistoryEvent.Ops.Refresh, name, owner, token, slot, settings.Ttl, () => grain.Refresh(leaseId, settings.Ttl), r => r.Outcome == LockOutcome.Renewed);
                if (outcome == HistoryEvent.Phases.Fail)
                {
                    return; // Lost: stop using the slot.
                }
            }

            if (DateTime.UtcNow >= holdUntil)
            {
                return;
            }

            await Task.Delay(_random.Next(30, 150));
        }
    }

    // Not recorded: it ends an attempt that made no hold the history knows of (a refusal, or unknown outcomes only).
    private static async Task AbandonAsync(ISemaphoreGrain grain, string leaseId)
    {
        try
        {
            await grain.Abandon(leaseId);
        }
        catch (Exception exception) when (exception is not ArgumentException)
        {
            // The lease, if any, runs out by itself.
        }
    }

    private Task<(string Outcome, SemaphoreResult? Result)> CallAsync(
        string op, string name, string owner, long? token, int? slot, TimeSpan? ttl, Func<Task<SemaphoreResult>> call, Func<SemaphoreResult, bool> succeeded, int? max = null) =>
        history.CallAsync(op, name, owner, token, ttl, call, succeeded, result =>
        {
            // Refresh and release keep the lease's own token and slot; an acquire learns them from the answer.
            var (recordedToken, recordedSlot) = op == HistoryEvent.Ops.Acquire ? (result.Acquired ? (result.FencingToken, result.Slot) : ((long?)null, (int?)null)) : (token, slot);
            return (recordedToken, recordedSlot, $"{result.Outcome} (slot {result.Slot}, token {result.FencingToken}, holders {result.HolderCount})");
        }, max, slot);
}
