using LockService.Chaos.History;
using LockService.Client;

namespace LockService.Chaos.Workload;

/// <summary>
/// A worker that uses the client library as applications do: <see cref="DistributedLock.TryAcquireAsync"/> without
/// and with waiting, <see cref="DistributedLock.AcquireAsync"/> with a timeout or a cancellation (which withdraws a
/// grant that raced with it), the handle's background keep-alive, and dispose. It works under the lock only while
/// <see cref="LockHandle.HandleLostToken"/> has not fired, and records when it fires: the checker (C7) judges that
/// the handle stopped believing in its lease before anyone else was granted the lock.
/// </summary>
public sealed class HandleWorker(WorkerHistory history, WorkloadSettings settings, ILockProvider locks)
{
    /// <summary>Marks the operations of this worker in the history (<see cref="HistoryEvent.Api"/>).</summary>
    public const string Api = HistoryEvent.Apis.Handle;

    private readonly Random _random = new();
    private long _attempts;

    public async Task RunAsync(DateTime until)
    {
        while (DateTime.UtcNow < until)
        {
            var lockName = $"chaos-{_random.Next(settings.Locks)}";

            // One owner per acquisition, named after the worker, so the nemesis can find the process holding a lock.
            var owner = $"{history.Client}:{++_attempts}";
            var handle = await AcquireAsync(locks.CreateLock(lockName, new LockOptions { Ttl = settings.Ttl, Owner = owner }), lockName, owner);
            if (handle is null)
            {
                await Task.Delay(_random.Next(5, 40));
                continue;
            }

            await HoldAsync(handle, lockName);
        }
    }

    private async Task<LockHandle?> AcquireAsync(DistributedLock distributedLock, string lockName, string owner)
    {
        // A third each: a try without waiting, a try that waits in the lock's queue, and an acquire with a timeout
        // that a cancellation may cut short (the library then withdraws whatever it may have been granted).
        var kind = _random.Next(3);
        var wait = TimeSpan.FromMilliseconds(_random.Next(200, 2000));
        var id = history.Record(HistoryEvent.Ops.Acquire, HistoryEvent.Phases.Invoke, lockName, owner, null, KindName(kind), settings.Ttl, api: Api);
        try
        {
            using var cancel = new CancellationTokenSource(kind == 2 ? TimeSpan.FromMilliseconds(_random.Next(300, 3000)) : Timeout.InfiniteTimeSpan);
            var handle = kind switch
            {
                0 => await distributedLock.TryAcquireAsync(),
                1 => await distributedLock.TryAcquireAsync(wait),
                _ => await distributedLock.AcquireAsync(wait * 2, cancel.Token),
            };
            if (handle is null)
            {
                // Refused at once is certain; a wait that gave up may have had a grant withdrawn (its token is spent).
                history.Record(HistoryEvent.Ops.Acquire, kind == 0 ? HistoryEvent.Phases.Fail : HistoryEvent.Phases.Unknown, lockName, owner, null, "null", id: id);
                return null;
            }

            history.Record(HistoryEvent.Ops.Acquire, HistoryEvent.Phases.Ok, lockName, handle.Owner, handle.FencingToken, "handle", id: id, api: Api);
            return handle;
        }
        catch (Exception exception) when (exception is not ArgumentException)
        {
            // Time-out, cancellation or an unreachable cluster: a grant may have landed and been withdrawn.
            history.Record(HistoryEvent.Ops.Acquire, HistoryEvent.Phases.Unknown, lockName, owner, null, exception.GetType().Name, id: id);
            return null;
        }
    }

    private async Task HoldAsync(LockHandle handle, string lockName)
    {
        var (owner, token) = (handle.Owner, handle.FencingToken);

        // Recorded from the keep-alive's own thread the moment the token fires: the end of the handle's belief.
        using var lost = handle.HandleLostToken.Register(() =>
        {
            var id = history.Record(HistoryEvent.Ops.Lost, HistoryEvent.Phases.Invoke, lockName, owner, token, api: Api);
            history.Record(HistoryEvent.Ops.Lost, HistoryEvent.Phases.Ok, lockName, owner, token, id: id);
        });

        // Up to twice the TTL, longer than the raw workers hold: the keep-alive (every third of the TTL) then renews
        // several times per hold, and a fault in the middle of a hold (a silo paused or cut off) outlasts the handle's
        // deadline, so HandleLostToken has to fire (with holds of at most one TTL it almost never did). Still within
        // C6's bound (5 s plus one TTL), which counts a lock held past a fault's end as down.
        var longest = Math.Max(settings.HoldMs.Max, (int)(settings.Ttl.TotalMilliseconds * 2));
        var holdUntil = DateTime.UtcNow + TimeSpan.FromMilliseconds(_random.Next(settings.HoldMs.Min, longest));
        while (!handle.HandleLostToken.IsCancellationRequested && DateTime.UtcNow < holdUntil)
        {
            await history.WriteProtectedAsync(lockName, owner, token);
            try
            {
                await Task.Delay(_random.Next(30, 150), handle.HandleLostToken);
            }
            catch (OperationCanceledException)
            {
                // Lost: stop using the resource and let go.
            }
        }

        // Dispose stops the keep-alive and releases: the handle's belief ends when it begins.
        var release = history.Record(HistoryEvent.Ops.Release, HistoryEvent.Phases.Invoke, lockName, owner, token, "dispose", api: Api);
        try
        {
            await handle.DisposeAsync();
            history.Record(HistoryEvent.Ops.Release, HistoryEvent.Phases.Ok, lockName, owner, token, id: release);
        }
        catch (Exception exception)
        {
            history.Record(HistoryEvent.Ops.Release, HistoryEvent.Phases.Unknown, lockName, owner, token, exception.GetType().Name, id: release);
        }
    }

    private static string KindName(int kind) => kind switch { 0 => "try", 1 => "try-wait", _ => "acquire-timeout-or-cancel" };
}
