namespace LockService.Queues;

/// <summary>
/// The calls of the queue's directory (<see cref="IQueueSegment"/>): appends, claims, and what the directory reads to
/// route claims, count and list. Claims arriving together share one leases write.
/// </summary>
public sealed partial class WorkQueueSegmentGrain
{
    public async Task<SegmentAppend> Append(IReadOnlyList<NewTask> tasks, int capacity)
    {
        ValidateKey();
        QueueArguments.ValidateBatch(tasks);
        return await _payloads.ChangeAsync<SegmentAppend>((next, _) =>
        {
            if (next.Purged || next.Retired)
            {
                // The directory never appends here once it has retired or purged the segment; refusing keeps that true.
                return (new SegmentAppend(next.Count, 0, Full: true), false);
            }

            if (next.Capacity == 0)
            {
                next.Capacity = capacity;
            }

            var accepted = Math.Min(tasks.Count, next.Capacity - next.Count);
            var first = next.Count;
            for (var i = 0; i < accepted; i++)
            {
                next.Tasks.Add(new StoredTask(tasks[i].Payload, tasks[i].Key));
            }

            next.Count += accepted;
            return (new SegmentAppend(first, accepted, next.IsFull), accepted > 0);
        }, "enqueue");
    }

    public async Task<SegmentClaim> Claim(string worker, string leaseIdHash, TimeSpan leaseTtl)
    {
        ValidateKey();
        var (claim, pending, nextExpiry) = await _leases.ChangeAsync<(ClaimedTask? Claim, int Pending, DateTimeOffset? NextExpiry)>((next, now) =>
        {
            var held = next.FindClaimed(leaseIdHash, now);
            if (held >= 0)
            {
                // This lease already holds a task here (a retried claim whose answer was lost): the same claim again.
                return ((ToClaimedTask(held, next.Entries[held]), PendingIn(next, now), next.NextExpiryAfter(now)), false);
            }

            var index = Payloads.Purged || Payloads.Retired ? -1 : next.FirstPending(Payloads.Count, now, MaxAttempts);
            if (index < 0)
            {
                return ((null, 0, next.NextExpiryAfter(now)), false);
            }

            next.SettleExpired(now, MaxAttempts);
            var lease = next.Claim(index, leaseIdHash, worker, leaseTtl, now);
            return ((ToClaimedTask(index, lease), PendingIn(next, now), next.NextExpiryAfter(now)), true);
        }, "claim");

        if (claim is not null)
        {
            WatchExpiry(leaseTtl);
            await EnsureReaperAsync(leaseTtl);
        }

        return new SegmentClaim(claim, pending, nextExpiry);
    }

    public async Task<bool> Release(string leaseIdHash)
    {
        ValidateKey();
        var released = await _leases.ChangeAsync<bool>((next, now) =>
        {
            var index = next.FindClaimed(leaseIdHash, now);
            if (index < 0)
            {
                // Not claimed here (any more) by this lease: expired, completed, abandoned or released already.
                return (false, false);
            }

            next.SettleExpired(now, MaxAttempts);
            var entry = next.Entries[index];
            // The claimer never worked on it, so the claim is not an attempt; the token is not taken back (tokens only grow).
            next.Entries[index] = entry with { Status = QueueTaskStatus.Pending, Attempts = entry.Attempts - 1 };
            return (true, true);
        }, "withdrawal");

        if (released)
        {
            LogReleased(_queueName, _segment);
        }

        return released;
    }

    public Task<ClaimedTask?> FindClaim(string leaseIdHash)
    {
        ValidateKey();
        var leases = Leases;
        var index = leases.FindClaimed(leaseIdHash, _leaseClock.Now());
        return Task.FromResult<ClaimedTask?>(index < 0 ? null : ToClaimedTask(index, leases.Entries[index]));
    }

    public Task<SegmentSummary> Summarize()
    {
        ValidateKey();
        var now = _leaseClock.Now();
        var leases = Leases;
        var payloads = Payloads;
        if (payloads.Purged)
        {
            return Task.FromResult(new SegmentSummary(0, 0, 0, 0, true, false, Gone: true, new Dictionary<string, long>(), [], [], null));
        }

        int pending = Math.Max(0, payloads.Count - leases.Entries.Count), claimed = 0, done = 0, dead = 0;
        var completedByWorker = new Dictionary<string, long>();
        var claimsOut = new List<SegmentClaimOut>();
        for (var i = 0; i < leases.Entries.Count; i++)
        {
            var entry = leases.Entries[i];
            switch (entry.StatusAt(now, MaxAttempts))
            {
                case QueueTaskStatus.Pending:
                    pending++;
                    break;
                case QueueTaskStatus.Claimed:
                    claimed++;
                    claimsOut.Add(new SegmentClaimOut(entry.LeaseIdHash, i, entry.ExpiresAt));
                    break;
                case QueueTaskStatus.Done:
                    done++;
                    completedByWorker[entry.Worker] = completedByWorker.GetValueOrDefault(entry.Worker) + 1;
                    break;
                default:
                    dead++;
                    break;
            }
        }

        var keys = new List<KeyValuePair<string, int>>();
        for (var i = 0; i < payloads.Tasks.Count; i++)
        {
            if (payloads.Tasks[i].Key is { } key)
            {
                keys.Add(new(key, i));
            }
        }

        return Task.FromResult(new SegmentSummary(pending, claimed, done, dead, payloads.IsFull, IsDrained(leases), Gone: payloads.Retired, completedByWorker, keys, claimsOut, leases.NextExpiryAfter(now)));
    }

    public Task<IReadOnlyList<QueueTaskInfo>> List(QueueTaskStatus? status, int afterIndex, int limit)
    {
        ValidateKey();
        var now = _leaseClock.Now();
        var page = new List<QueueTaskInfo>();
        var tasks = Payloads.Tasks;
        for (var i = Math.Max(0, afterIndex + 1); i < tasks.Count && page.Count < limit; i++)
        {
            var info = Describe(i, now);
            if (status is null || info.Status == status)
            {
                page.Add(info);
            }
        }

        return Task.FromResult<IReadOnlyList<QueueTaskInfo>>(page);
    }

    public async Task<QueueTaskInfo> Retry(int index)
    {
        ValidateKey();
        var taskId = WorkQueueTaskIds.Format(_segment, index);
        await _leases.ChangeAsync<int>((next, now) =>
        {
            EnsureKnown(index, taskId);
            var status = next.StatusAt(index, now, MaxAttempts);
            if (status != QueueTaskStatus.Dead)
            {
                throw new ArgumentException($"Invalid retry: task '{taskId}' of queue '{_queueName}' is {status.ToString().ToLowerInvariant()}, not dead; only a dead task can be retried.", "taskId");
            }

            next.SettleExpired(now, MaxAttempts);
            next.Entries[index] = next.Entries[index] with { Status = QueueTaskStatus.Pending, Attempts = 0 };
            return (0, true);
        }, "retry");

        LogRetried(_queueName, taskId);
        return Describe(index, _leaseClock.Now());
    }

    public async Task<bool> Retire()
    {
        ValidateKey();
        if (!IsDrained(Leases))
        {
            return false;
        }

        return await _payloads.ChangeAsync<bool>((next, _) =>
        {
            var changed = !next.Retired;
            next.Retired = true;
            next.Tasks = [];
            return (true, changed);
        }, "retirement");
    }

    public async Task<int> Purge()
    {
        ValidateKey();
        var removed = await _payloads.ChangeAsync<int>((next, _) =>
        {
            if (next.Purged)
            {
                return (0, false);
            }

            // A retired segment's tasks were all done; they count as removed too, as Stats counted them.
            var count = next.Count;
            next.Purged = true;
            next.Tasks = [];
            return (count, true);
        }, "purge");
        await UnregisterReaperAsync();
        return removed;
    }

    private ClaimedTask ToClaimedTask(int index, TaskLease lease)
    {
        var task = Payloads.Tasks[index];
        return new ClaimedTask(WorkQueueTaskIds.Format(_segment, index), task.Payload, lease.ClaimToken, lease.ExpiresAt, lease.Attempts, task.Key);
    }

    private QueueTaskInfo Describe(int index, DateTimeOffset now)
    {
        var task = Payloads.Tasks[index];
        var id = WorkQueueTaskIds.Format(_segment, index);
        if (index >= Leases.Entries.Count)
        {
            return new QueueTaskInfo(id, QueueTaskStatus.Pending, task.Payload, task.Key, 0, 0, null, null, null);
        }

        var entry = Leases.Entries[index];
        var status = entry.StatusAt(now, MaxAttempts);
        return new QueueTaskInfo(id, status, task.Payload, task.Key, entry.Attempts, entry.ClaimToken, entry.Worker,
            status == QueueTaskStatus.Claimed ? entry.ExpiresAt : null, entry.LastErrorAt(now));
    }
}
