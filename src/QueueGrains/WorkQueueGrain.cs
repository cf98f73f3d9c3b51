using LockService.Grains;
using LockService.Leases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;

namespace LockService.Queues;

/// <summary>
/// The directory of one work queue: its live segments (oldest first), where new tasks go, and the claimers waiting
/// for a task. Its durable record is small and written only when a segment opens or retires (or on a purge); claims
/// never write it. The tasks themselves, and every claim, live in the segment grains.
/// </summary>
/// <remarks>
/// Reentrant, so a claim is routed at once, never queued behind this grain's own storage write (a segment opening) or
/// behind a claim waiting for a task. The few changes of the record (opening, retiring, purging) and the enqueues that
/// cause them are serialized by <see cref="_changes"/>, so only one write is in flight, as
/// <see cref="DurableRecord{TState}"/> requires. What it keeps in memory (pending estimates, task keys, claims out) it
/// rebuilds from the segments on activation.
/// </remarks>
[GrainType("workqueue")]
[Reentrant]
public sealed partial class WorkQueueGrain : Grain, IWorkQueueGrain, IQueueDirectory
{
    private readonly IGrainStorage _storage;
    // The lock clock, for building _leaseClock only: the directory judges claims out (routing, the index of claims by
    // lease) by _leaseClock, in step with its segments, which stamp the leases.
    private readonly TimeProvider _clock;
    private readonly LockGrainOptions _lockOptions;
    private readonly WorkQueueOptions _options;
    private readonly ILogger<WorkQueueGrain> _logger;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly SortedDictionary<long, SegmentView> _segments = new();
    private readonly Dictionary<string, string> _taskIdsByKey = new(StringComparer.Ordinal);
    private DurableRecord<QueueDirectoryState> _record = null!;
    private LeaseClock _leaseClock = null!;

    public WorkQueueGrain(
        [FromKeyedServices(LockGrainServices.StorageProviderName)] IGrainStorage storage,
        [FromKeyedServices(LockGrainServices.ClockKey)] TimeProvider clock,
        IOptions<LockGrainOptions> lockOptions,
        IOptions<WorkQueueOptions> options,
        ILogger<WorkQueueGrain> logger)
    {
        _storage = storage;
        _clock = clock;
        _lockOptions = lockOptions.Value;
        _options = options.Value;
        _logger = logger;
    }

    private string Name => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _record = new DurableRecord<QueueDirectoryState>(
            _storage,
            WorkQueueStorage.DirectoryStateName,
            WorkQueueStorage.DirectoryKeyFor(Name),
            new DurableRecordSubject($"Queue '{Name}'", "Retry the call; tasks enqueued with keys are not added twice."),
            _logger)
        {
            Lost = DeactivateOnIdle,
        };

        // Held back while a claim it knows of runs, so a forward step of the system clock does not drop a claim from
        // the index early (a retried claim would then take a second task).
        _leaseClock = new LeaseClock(_clock, at => _claimsInFlight.Count == 0 && _latestClaimExpiry <= at, _record.Subject, _logger);

        // A name that breaks the rules is refused by every call before it reaches the database.
        if (IsValidName(Name))
        {
            await _record.LoadAsync();
            await LearnSegmentsAsync();
        }
    }

    public async Task<IReadOnlyList<string>> Enqueue(IReadOnlyList<NewTask> tasks)
    {
        ValidateName();
        QueueArguments.ValidateBatch(tasks);
        var ids = new string[tasks.Count];
        var added = 0;
        await _changes.WaitAsync();
        try
        {
            var toAdd = new List<int>(tasks.Count);
            for (var i = 0; i < tasks.Count; i++)
            {
                if (tasks[i].Key is { } key && _taskIdsByKey.TryGetValue(key, out var existing))
                {
                    ids[i] = existing;
                }
                else
                {
                    toAdd.Add(i);
                }
            }

            while (added < toAdd.Count)
            {
                var segment = await OpenSegmentAsync();
                var part = toAdd.Skip(added).Select(i => tasks[i]).ToList();
                SegmentAppend appended;
                try
                {
                    appended = await Segment(segment.Number).Append(part, _options.SegmentCapacity);
                }
                catch (Exception exception) when (added > 0)
                {
                    // The tasks before this part are durable in an older segment: say which, so nothing is added twice by mistake.
                    throw new LockStorageException(
                        $"Queue '{Name}': the enqueue was cut short after {added} of its {toAdd.Count} new task(s) ({string.Join(", ", toAdd.Take(added).Select(i => ids[i]))}) " +
                        $"were made durable: {exception.Message} Enqueue with keys and retry the whole batch: the durable ones are not added twice.");
                }

                for (var j = 0; j < appended.Accepted; j++)
                {
                    var index = toAdd[added + j];
                    ids[index] = WorkQueueTaskIds.Format(segment.Number, appended.FirstIndex + j);
                    if (tasks[index].Key is { } key)
                    {
                        _taskIdsByKey[key] = ids[index];
                    }
                }

                added += appended.Accepted;
                segment.Pending += appended.Accepted;
                segment.Full = appended.Full || appended.Accepted == 0;
            }
        }
        finally
        {
            _changes.Release();
        }

        if (added > 0)
        {
            LogEnqueued(Name, added, tasks.Count - added);
            ServeWaiters();
        }

        return ids;
    }

    public async Task<QueueStats> Stats()
    {
        ValidateName();
        // Under the directory's change lock: a segment retiring meanwhile would otherwise be counted twice, once in its
        // summary and once in the retired totals read after it (seen as Done = 2,304 of 2,048 in a test).
        List<(long Number, SegmentSummary Summary)> summaries;
        QueueDirectoryState state;
        await _changes.WaitAsync();
        try
        {
            summaries = await SummarizeLiveAsync();
            state = _record.State;
        }
        finally
        {
            _changes.Release();
        }

        // The default comparer (ordinal for strings): Orleans serializes a dictionary with it without naming a comparer type.
        var byWorker = new Dictionary<string, long>(state.RetiredByWorker);
        long pending = 0, claimed = 0, done = state.RetiredDone, dead = 0;
        foreach (var (_, summary) in summaries)
        {
            pending += summary.Pending;
            claimed += summary.Claimed;
            done += summary.Done;
            dead += summary.Dead;
            foreach (var (worker, count) in summary.CompletedByWorker)
            {
                byWorker[worker] = byWorker.GetValueOrDefault(worker) + count;
            }
        }

        return new QueueStats(Name, pending, claimed, done, dead, _waiters.Count, byWorker);
    }

    public async Task<QueueTaskPage> List(QueueTaskStatus? status, string? after, int limit)
    {
        ValidateName();
        QueueArguments.ValidatePageSize(limit);
        long afterSegment = -1;
        var afterIndex = -1;
        if (after is not null)
        {
            WorkQueueTaskIds.Validate(after);
            WorkQueueTaskIds.TryParse(after, out afterSegment, out afterIndex);
        }

        var tasks = new List<QueueTaskInfo>(limit);
        foreach (var number in _segments.Keys.Where(number => number >= afterSegment).ToList())
        {
            var page = await Segment(number).List(status, number == afterSegment ? afterIndex : -1, limit - tasks.Count);
            tasks.AddRange(page);
            if (tasks.Count == limit)
            {
                return new QueueTaskPage(tasks, tasks[^1].TaskId);
            }
        }

        return new QueueTaskPage(tasks, null);
    }

    public async Task<QueueTaskInfo> Retry(string taskId)
    {
        ValidateName();
        WorkQueueTaskIds.Validate(taskId);
        WorkQueueTaskIds.TryParse(taskId, out var number, out var index);
        if (!_segments.TryGetValue(number, out var segment))
        {
            throw new ArgumentException(
                number < _record.State.NextSegment
                    ? $"Invalid retry: task '{taskId}' of queue '{Name}' is not dead: every task of its segment is done (or the queue was purged)."
                    : $"Unknown task: queue '{Name}' has no task '{taskId}' (never enqueued; check the queue name and the task id).",
                nameof(taskId));
        }

        var retried = await Segment(number).Retry(index);
        segment.Pending++;
        ServeWaiters();
        return retried;
    }

    public async Task<long> Purge()
    {
        ValidateName();
        long removed;
        await _changes.WaitAsync();
        try
        {
            // Segments first: if this stops halfway, the directory still lists the purged ones and drops them when it
            // next learns its segments (a purged segment says it is gone).
            var counts = await Task.WhenAll(_segments.Keys.Select(number => Segment(number).Purge()));
            var next = _record.State.Copy();
            removed = counts.Sum(count => (long)count) + next.RetiredDone;
            next.Segments.Clear();
            next.RetiredDone = 0;
            next.RetiredByWorker.Clear();
            await _record.WriteAsync(next, "purge");
            _segments.Clear();
            _taskIdsByKey.Clear();
            _claimsByLease.Clear();
        }
        finally
        {
            _changes.Release();
        }

        LogPurged(Name, removed);
        return removed;
    }

    public Task SegmentChanged(long segment, int pending, DateTimeOffset? nextExpiry, bool drained)
    {
        if (!_segments.TryGetValue(segment, out var view))
        {
            return Task.CompletedTask;
        }

        if (drained)
        {
            _ = RetireAsync(segment);
            return Task.CompletedTask;
        }

        view.Heard(pending, nextExpiry);
        ServeWaiters();
        return Task.CompletedTask;
    }

    /// <summary>The live segment that takes new tasks; opens a new one (a directory write) when there is none or it is full.</summary>
    private async Task<SegmentView> OpenSegmentAsync()
    {
        if (_segments.Count > 0 && _segments.Values.Last() is { Full: false } open)
        {
            return open;
        }

        var next = _record.State.Copy();
        var number = next.NextSegment;
        next.NextSegment = checked(number + 1);
        next.Segments.Add(number);
        await _record.WriteAsync(next, "segment opening");
        var view = new SegmentView(number);
        _segments.Add(number, view);
        return view;
    }

    /// <summary>Retires a drained segment: out of the directory (its counts kept), then its payloads dropped.</summary>
    private async Task RetireAsync(long number)
    {
        await _changes.WaitAsync();
        try
        {
            if (!_segments.ContainsKey(number))
            {
                return;
            }

            var summary = await Segment(number).Summarize();
            if (!summary.Drained)
            {
                return;
            }

            var next = _record.State.Copy();
            next.Segments.Remove(number);
            next.RetiredDone += summary.Done;
            foreach (var (worker, count) in summary.CompletedByWorker)
            {
                next.RetiredByWorker[worker] = next.RetiredByWorker.GetValueOrDefault(worker) + count;
            }

            await _record.WriteAsync(next, "segment retirement");
            _segments.Remove(number);
            foreach (var (key, _) in summary.Keys)
            {
                _taskIdsByKey.Remove(key);
            }

            await Segment(number).Retire();
            LogRetired(Name, number, summary.Done);
        }
        catch (Exception exception)
        {
            // Nothing is lost: the segment stays live (or retired with its payloads still stored) and is retired again
            // when the directory next learns its segments.
            LogRetireFailed(exception, Name, number);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Builds the in-memory view from the live segments: pending counts, keys and claims out.</summary>
    private async Task LearnSegmentsAsync()
    {
        var summaries = await SummarizeLiveAsync();
        var gone = new List<long>();
        foreach (var (number, summary) in summaries)
        {
            if (summary.Gone)
            {
                gone.Add(number);
                continue;
            }

            _segments[number] = new SegmentView(number) { Pending = summary.Pending, NextExpiry = summary.NextExpiry, Full = summary.Full };
            foreach (var (key, index) in summary.Keys)
            {
                _taskIdsByKey[key] = WorkQueueTaskIds.Format(number, index);
            }

            foreach (var claim in summary.ClaimsOut)
            {
                _claimsByLease[claim.LeaseIdHash] = (number, claim.ExpiresAt);
                _latestClaimExpiry = claim.ExpiresAt > _latestClaimExpiry ? claim.ExpiresAt : _latestClaimExpiry;
            }
        }

        if (gone.Count > 0)
        {
            // Left behind by a purge that stopped halfway: they hold nothing any more.
            var next = _record.State.Copy();
            next.Segments.RemoveAll(gone.Contains);
            await _record.WriteAsync(next, "cleanup of purged segments");
        }

        foreach (var (number, summary) in summaries.Where(pair => pair.Summary.Drained))
        {
            _ = RetireAsync(number);
        }

        _lastPruneCount = _claimsByLease.Count;
    }

    private async Task<List<(long Number, SegmentSummary Summary)>> SummarizeLiveAsync()
    {
        var numbers = _record.State.Segments.ToList();
        var summaries = await Task.WhenAll(numbers.Select(number => Segment(number).Summarize()));
        return numbers.Zip(summaries).ToList();
    }

    private IQueueSegment Segment(long number) => GrainFactory.GetGrain<IQueueSegment>(WorkQueueTaskIds.SegmentKey(Name, number));

    private static bool IsValidName(string name)
    {
        try
        {
            QueueArguments.ValidateQueueName(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private void ValidateName() => QueueArguments.ValidateQueueName(Name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': {Added} task(s) enqueued, {Known} already known by key.")]
    private partial void LogEnqueued(string queueName, int added, int known);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': segment {Segment} retired ({Done} task(s) done).")]
    private partial void LogRetired(string queueName, long segment, int done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': segment {Segment} could not be retired now; it is retired later.")]
    private partial void LogRetireFailed(Exception exception, string queueName, long segment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}' purged by an operator: {Removed} task(s) removed.")]
    private partial void LogPurged(string queueName, long removed);
}
