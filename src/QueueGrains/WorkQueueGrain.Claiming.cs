using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Queues;

/// <summary>
/// Claims: routed to the oldest segment with a pending task (the segment makes the claim durable before it answers),
/// and, when none is pending, fair waiting: claimers queue here first come, first served (the lease core's
/// <see cref="WaitQueue{TResult}"/>, keyed by the lease id's hash) and are handed tasks as they arrive or return,
/// pushed, never polled.
/// </summary>
public sealed partial class WorkQueueGrain
{
    private readonly WaitQueue<ClaimedTask> _waiters = new();

    // Claims out, by lease-id hash: where a retried claim (after a lost answer) finds its task. Rebuilt from the
    // segments on activation; entries past their expiry are pruned as the map grows.
    private readonly Dictionary<string, (long Segment, DateTimeOffset ExpiresAt)> _claimsByLease = new(StringComparer.Ordinal);

    // Claims being made right now, by lease-id hash, so a retried call joins the first one instead of claiming twice.
    private readonly Dictionary<string, Task<ClaimedTask?>> _claimsInFlight = new(StringComparer.Ordinal);

    // The latest expiry among the claims in _claimsByLease (as claimed; an extension moves it later unseen): until then
    // a claim the directory knows of may run, and the lease clock holds a forward step back.
    private DateTimeOffset _latestClaimExpiry = DateTimeOffset.MinValue;

    private int _lastPruneCount;
    private bool _serving;
    private bool _serveAgain;

    public async Task<ClaimedTask?> Claim(string worker, string leaseId, TimeSpan leaseTtl, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ValidateName();
        QueueArguments.ValidateWorker(worker);
        LeaseIds.Validate(leaseId);
        LockArguments.ValidateTtl(leaseTtl, _lockOptions.MaxLeaseDuration);
        LockArguments.ValidateWait(wait);
        var hash = LeaseIdHash.Of(leaseId);

        if (await FindClaimAsync(hash) is { } again)
        {
            // The same lease asking again: its claim, never a second task.
            return again;
        }

        if (!_waiters.TryGet(hash, out var waiter))
        {
            // A claim never jumps the queue: with claimers waiting, a task that is pending is theirs.
            if (_waiters.NextListening() is null && await ClaimFromSegmentsAsync(worker, hash, leaseTtl) is { } claimed)
            {
                return claimed;
            }

            if (wait == TimeSpan.Zero)
            {
                return null;
            }

            if (_waiters.Count >= _lockOptions.MaxWaiters)
            {
                throw new LockQueueFullException(
                    $"Queue '{Name}': {_waiters.Count} claimers are already waiting, the most this silo allows (LockGrainOptions.MaxWaiters = {_lockOptions.MaxWaiters}). Try again later.");
            }

            waiter = _waiters.Enqueue(hash, worker, leaseTtl);
            ServeWaiters();
        }

        return await WaitAsync(waiter, wait, cancellationToken);
    }

    /// <summary>The valid claim of the lease hashing to <paramref name="hash"/>, being made or made already, if any.</summary>
    private async Task<ClaimedTask?> FindClaimAsync(string hash)
    {
        if (_claimsInFlight.TryGetValue(hash, out var inFlight) && await inFlight is { } made)
        {
            return made;
        }

        if (!_claimsByLease.TryGetValue(hash, out var where))
        {
            return null;
        }

        if (await Segment(where.Segment).FindClaim(hash) is { } found)
        {
            return found;
        }

        _claimsByLease.Remove(hash);
        return null;
    }

    /// <summary>Waits for the waiter's task at most <paramref name="wait"/>; a grant being written when the wait ends is still this caller's.</summary>
    private async Task<ClaimedTask?> WaitAsync(Waiter<ClaimedTask> waiter, TimeSpan wait, CancellationToken cancellationToken)
    {
        waiter.OpenCalls++;
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // The wait is measured in real time: it is the caller's patience, not a lease.
            await Task.WhenAny(waiter.Outcome.Task, Task.Delay(wait, stopWaiting.Token));
        }
        finally
        {
            stopWaiting.Cancel();
            waiter.OpenCalls--;
        }

        if (!waiter.Outcome.Task.IsCompleted && !waiter.Granting && waiter.OpenCalls == 0)
        {
            // Nobody listens for this waiter any more: out of the queue, never granted.
            _waiters.Remove(waiter);
            waiter.Outcome.TrySetResult(null);
        }

        if (waiter.Outcome.Task.IsCompleted || waiter.Granting)
        {
            // Granted, or a claim for it is being written right now: its outcome is this caller's answer either way. A
            // cancelled caller does not hear it; that claim returns to the queue when its lease ends.
            var outcome = await waiter.Outcome.Task;
            cancellationToken.ThrowIfCancellationRequested();
            return outcome;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return null;
    }

    /// <summary>
    /// Claims the oldest pending task for the lease, trying the segments oldest first; <see langword="null"/> when none
    /// has one. Registered while in flight, so the same lease asking meanwhile gets this claim.
    /// </summary>
    private async Task<ClaimedTask?> ClaimFromSegmentsAsync(string worker, string hash, TimeSpan leaseTtl)
    {
        var done = new TaskCompletionSource<ClaimedTask?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _claimsInFlight[hash] = done.Task;
        try
        {
            var claimed = await ClaimFromOldestAsync(worker, hash, leaseTtl);
            done.TrySetResult(claimed);
            return claimed;
        }
        catch (Exception exception)
        {
            done.TrySetException(exception);
            _ = done.Task.Exception; // observed here: the caller gets it from this method
            throw;
        }
        finally
        {
            _claimsInFlight.Remove(hash);
        }
    }

    private async Task<ClaimedTask?> ClaimFromOldestAsync(string worker, string hash, TimeSpan leaseTtl)
    {
        var asked = new HashSet<long>();
        var now = _leaseClock.Now();
        while (_segments.Values.FirstOrDefault(view => view.MayHavePending(now) && !asked.Contains(view.Number)) is { } segment)
        {
            // Reserved before the call, so concurrent claims spread over the pending tasks instead of piling on one.
            var reserved = segment.Pending > 0;
            if (reserved)
            {
                segment.Pending--;
            }

            asked.Add(segment.Number);
            segment.InFlight++;
            SegmentClaim answer;
            try
            {
                answer = await Segment(segment.Number).Claim(worker, hash, leaseTtl);
            }
            catch
            {
                segment.InFlight--;
                if (reserved)
                {
                    segment.Pending++;
                }

                throw;
            }

            segment.InFlight--;
            segment.Heard(answer.PendingLeft, answer.NextExpiry);
            now = _leaseClock.Now();
            if (answer.Task is { } claimed)
            {
                Remember(hash, segment.Number, claimed.ExpiresAt);
                LogClaimed(Name, claimed.TaskId, worker, claimed.ClaimToken);
                return claimed;
            }
        }

        return null;
    }

    /// <summary>Hands pending tasks to the waiting claimers, first come first served, until either runs out.</summary>
    private void ServeWaiters()
    {
        if (_serving)
        {
            _serveAgain = true;
            return;
        }

        _ = ServeWaitersAsync();
    }

    private async Task ServeWaitersAsync()
    {
        _serving = true;
        try
        {
            do
            {
                _serveAgain = false;
                while (true)
                {
                    // Tasks pending, and one more per segment where a claim has ended since the directory last heard.
                    var now = _leaseClock.Now();
                    var budget = _segments.Values.Sum(view => view.Pending > 0 ? view.Pending : view.MayHavePending(now) ? 1 : 0);
                    var batch = new List<Waiter<ClaimedTask>>();
                    while (batch.Count < budget && _waiters.NextListening() is { } next)
                    {
                        // Out of the queue so the next one is found; Granting keeps its wait call on this outcome.
                        next.Granting = true;
                        _waiters.Remove(next);
                        batch.Add(next);
                    }

                    if (batch.Count == 0)
                    {
                        break;
                    }

                    // Claimed together, so the segment writes them in one go; in queue order, so the first waiter gets the oldest task.
                    var served = await Task.WhenAll(batch.Select(ServeAsync));
                    if (!served.Any(granted => granted))
                    {
                        break;
                    }
                }
            }
            while (_serveAgain);
        }
        finally
        {
            _serving = false;
        }
    }

    private async Task<bool> ServeAsync(Waiter<ClaimedTask> waiter)
    {
        try
        {
            if (await ClaimFromSegmentsAsync(waiter.Owner, waiter.Key, waiter.Ttl) is { } claimed)
            {
                waiter.Outcome.TrySetResult(claimed);
                return true;
            }

            waiter.Granting = false;
            if (waiter.OpenCalls == 0)
            {
                // Its caller stopped waiting while the claim was tried: nobody to hand a task to.
                waiter.Outcome.TrySetResult(null);
            }
            else
            {
                _waiters.Restore(waiter);
            }
        }
        catch (Exception exception)
        {
            // A storage failure fails the waiter's call closed: nothing was claimed for it.
            waiter.Granting = false;
            waiter.Outcome.TrySetException(exception);
        }

        return false;
    }

    private void Remember(string hash, long segment, DateTimeOffset expiresAt)
    {
        _claimsByLease[hash] = (segment, expiresAt);
        _latestClaimExpiry = expiresAt > _latestClaimExpiry ? expiresAt : _latestClaimExpiry;
        if (_claimsByLease.Count > 2 * _lastPruneCount + 1024)
        {
            // Amortized: the map is walked once each time it doubles, so a claim costs O(1) on average.
            var now = _leaseClock.Now();
            foreach (var (key, _) in _claimsByLease.Where(pair => pair.Value.ExpiresAt <= now).ToList())
            {
                _claimsByLease.Remove(key);
            }

            _lastPruneCount = _claimsByLease.Count;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': task {TaskId} claimed by '{Worker}' with claim token {ClaimToken}.")]
    private partial void LogClaimed(string queueName, string taskId, string worker, long claimToken);
}
