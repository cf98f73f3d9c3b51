using System.Globalization;
using LockService.Grains;
using LockService.Leases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;

namespace LockService.Queues;

/// <summary>
/// One segment of a work queue: at most <see cref="WorkQueueOptions.SegmentCapacity"/> tasks, in two records. The
/// payloads are written when tasks are appended; the leases (status, lease-id hash, worker, expiry, claim token,
/// attempts per task) are what claims, completions and abandons rewrite, so a claim writes bytes bounded by the
/// capacity, never by the queue's length.
/// </summary>
/// <remarks>
/// Reentrant, so calls that arrive while a leases write is in flight are not queued behind it: they join the next
/// write (<see cref="CoalescingWriter{TState}"/>), and concurrent claims share one write. Every change is applied to a
/// copy of the accepted state and is visible only once storage has accepted it; reads see only accepted state. Expiry
/// is judged on every call from the stored expiry and the silo's clock.
/// </remarks>
[GrainType("workqueue-segment")]
[Reentrant]
public sealed partial class WorkQueueSegmentGrain : Grain, IWorkQueueSegmentGrain, IQueueSegment, IRemindable
{
    private const string SegmentMarker = "/seg-";

    private readonly IGrainStorage _storage;
    // The lock clock, for building _leaseClock only: every lease decision reads the time from _leaseClock.
    private readonly TimeProvider _clock;
    private readonly LockGrainOptions _lockOptions;
    private readonly WorkQueueOptions _options;
    private readonly ILogger<WorkQueueSegmentGrain> _logger;
    private DurableRecord<SegmentPayloads> _payloadRecord = null!;
    private DurableRecord<SegmentLeases> _leaseRecord = null!;
    private CoalescingWriter<SegmentPayloads> _payloads = null!;
    private CoalescingWriter<SegmentLeases> _leases = null!;

    // The time leases are judged and stamped by: the lock clock, held back while claims run if the system clock steps
    // forward (LeaseClock says why). Made in OnActivateAsync, with the records it consults.
    private LeaseClock _leaseClock = null!;
    private string _queueName = "";
    private long _segment = -1;

    public WorkQueueSegmentGrain(
        [FromKeyedServices(LockGrainServices.StorageProviderName)] IGrainStorage storage,
        [FromKeyedServices(LockGrainServices.ClockKey)] TimeProvider clock,
        IOptions<LockGrainOptions> lockOptions,
        IOptions<WorkQueueOptions> options,
        ILogger<WorkQueueSegmentGrain> logger)
    {
        _storage = storage;
        _clock = clock;
        _lockOptions = lockOptions.Value;
        _options = options.Value;
        _logger = logger;
    }

    private SegmentPayloads Payloads => _payloadRecord.State;

    private SegmentLeases Leases => _leaseRecord.State;

    private int MaxAttempts => _options.MaxAttempts;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var storageId = WorkQueueStorage.SegmentKeyFor(key);
        var subject = new DurableRecordSubject($"Queue segment '{key}'", "Retry the call; a claim with the same lease id finds a claim that did land.");
        _payloadRecord = new DurableRecord<SegmentPayloads>(_storage, WorkQueueStorage.PayloadsStateName, storageId, subject, _logger) { Lost = DeactivateOnIdle };
        _leaseRecord = new DurableRecord<SegmentLeases>(_storage, WorkQueueStorage.LeasesStateName, storageId, subject, _logger) { Lost = DeactivateOnIdle };
        _leaseClock = new LeaseClock(_clock, at => !_leases.Busy && Leases.NextExpiryAfter(at) is null, subject, _logger);
        _payloads = new CoalescingWriter<SegmentPayloads>(_payloadRecord, state => state.Copy(), _leaseClock.Now);
        _leases = new CoalescingWriter<SegmentLeases>(_leaseRecord, state => state.Copy(), _leaseClock.Now);

        // A key that is not a valid segment key is refused by every call before it reaches the database.
        if (TryParseKey(key, out _queueName, out _segment))
        {
            await Task.WhenAll(_payloadRecord.LoadAsync(), _leaseRecord.LoadAsync());
            if (Leases.Entries.Exists(entry => entry.Status == QueueTaskStatus.Claimed))
            {
                // Claims were out when the last activation ended: check them now, so the directory hears of any that ended.
                WatchExpiry(TimeSpan.Zero);
            }
        }
    }

    public async Task Complete(string taskId, string leaseId)
    {
        var index = ValidateTaskCall(taskId, leaseId);
        var hash = LeaseIdHash.Of(leaseId);
        var drained = await _leases.ChangeAsync<bool>((next, now) =>
        {
            var entry = HeldEntry(next, index, hash, taskId, now, allowDone: true);
            if (entry.Status == QueueTaskStatus.Done)
            {
                // The same lease completing again (a retry after a lost answer): done already, by this lease.
                return (false, false);
            }

            next.SettleExpired(now, MaxAttempts);
            next.Entries[index] = entry with { Status = QueueTaskStatus.Done, LastError = null };
            return (IsDrained(next), true);
        }, "completion");

        LogCompleted(_queueName, taskId);
        if (drained)
        {
            QueueDirectory.SegmentChanged(_segment, 0, null, drained: true).Ignore();
        }
    }

    public async Task<bool> Abandon(string taskId, string leaseId, string? error)
    {
        var index = ValidateTaskCall(taskId, leaseId);
        QueueArguments.ValidateError(error);
        var hash = LeaseIdHash.Of(leaseId);
        var (returned, pending) = await _leases.ChangeAsync<(bool Returned, int Pending)>((next, now) =>
        {
            EnsureKnown(index, taskId);
            if (index >= next.Entries.Count || !next.Entries[index].IsClaimedAt(now) || !LeaseIdHash.HashesMatch(hash, next.Entries[index].LeaseIdHash))
            {
                // Not this lease's task any more (expired, abandoned already, completed, claimed again): nothing to give back.
                return ((false, 0), false);
            }

            var entry = next.Entries[index];
            next.SettleExpired(now, MaxAttempts);
            next.Entries[index] = entry with
            {
                Status = entry.Attempts >= MaxAttempts ? QueueTaskStatus.Dead : QueueTaskStatus.Pending,
                LastError = error ?? $"abandoned by worker '{entry.Worker}' (claim token {entry.ClaimToken})",
            };
            return ((true, PendingIn(next, now)), true);
        }, "abandon");

        if (returned)
        {
            LogAbandoned(_queueName, taskId);
            QueueDirectory.SegmentChanged(_segment, pending, Leases.NextExpiryAfter(_leaseClock.Now()), drained: false).Ignore();
        }

        return returned;
    }

    public async Task<DateTimeOffset> Extend(string taskId, string leaseId, TimeSpan leaseTtl)
    {
        var index = ValidateTaskCall(taskId, leaseId);
        LockArguments.ValidateTtl(leaseTtl, _lockOptions.MaxLeaseDuration);
        var hash = LeaseIdHash.Of(leaseId);
        var expiresAt = await _leases.ChangeAsync<DateTimeOffset>((next, now) =>
        {
            var entry = HeldEntry(next, index, hash, taskId, now, allowDone: false);
            var extended = entry with { ExpiresAtMs = (now + leaseTtl).ToUnixTimeMilliseconds() };
            next.Entries[index] = extended;
            return (extended.ExpiresAt, true);
        }, "extension");

        await EnsureReaperAsync(leaseTtl);
        return expiresAt;
    }

    /// <summary>
    /// The entry of task <paramref name="index"/> if the lease hashing to <paramref name="hash"/> holds it at
    /// <paramref name="now"/> (or completed it, when <paramref name="allowDone"/>); otherwise throws
    /// <see cref="TaskLeaseLostException"/> saying why.
    /// </summary>
    private TaskLease HeldEntry(SegmentLeases leases, int index, string hash, string taskId, DateTimeOffset now, bool allowDone)
    {
        EnsureKnown(index, taskId);
        if (index >= leases.Entries.Count)
        {
            throw new TaskLeaseLostException(_queueName, taskId, "the task has not been claimed by anyone yet");
        }

        var entry = leases.Entries[index];
        if (!LeaseIdHash.HashesMatch(hash, entry.LeaseIdHash))
        {
            throw new TaskLeaseLostException(_queueName, taskId, $"another claim (claim token {entry.ClaimToken}) holds or held the task since: this lease expired or was abandoned, or never claimed it");
        }

        return entry.Status switch
        {
            QueueTaskStatus.Done when allowDone => entry,
            QueueTaskStatus.Done => throw new TaskLeaseLostException(_queueName, taskId, "the task is done already"),
            QueueTaskStatus.Claimed when now < entry.ExpiresAt => entry,
            QueueTaskStatus.Claimed => throw new TaskLeaseLostException(_queueName, taskId, $"the claim expired at {entry.ExpiresAt:o}; the task went back to the queue"),
            QueueTaskStatus.Dead => throw new TaskLeaseLostException(_queueName, taskId, "this claim ended (it expired or was abandoned) and the task is dead"),
            _ => throw new TaskLeaseLostException(_queueName, taskId, "this claim ended (it expired or was abandoned); the task went back to the queue"),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless task <paramref name="index"/> exists (was appended and not purged).</summary>
    private void EnsureKnown(int index, string taskId)
    {
        if (Payloads.Purged)
        {
            throw new ArgumentException($"Unknown task: queue '{_queueName}' was purged, task '{taskId}' with it.", nameof(taskId));
        }

        if (index >= Math.Max(Payloads.Count, Leases.Entries.Count))
        {
            throw new ArgumentException($"Unknown task: queue '{_queueName}' has no task '{taskId}' (never enqueued; check the queue name and the task id).", nameof(taskId));
        }
    }

    private int ValidateTaskCall(string taskId, string leaseId)
    {
        ValidateKey();
        WorkQueueTaskIds.Validate(taskId);
        LeaseIds.Validate(leaseId);
        WorkQueueTaskIds.TryParse(taskId, out var segment, out var index);
        if (segment != _segment)
        {
            throw new ArgumentException($"Invalid task id: task '{taskId}' belongs to segment {segment}, not to segment {_segment} of queue '{_queueName}'; use WorkQueueTaskIds.SegmentOf.", nameof(taskId));
        }

        return index;
    }

    private void ValidateKey()
    {
        if (_segment < 0)
        {
            throw new ArgumentException($"Invalid queue segment key '{this.GetPrimaryKeyString()}': it must be '{{queue}}{SegmentMarker}{{n}}' with a valid queue name (see WorkQueueTaskIds.SegmentKey).");
        }
    }

    private static bool TryParseKey(string key, out string queueName, out long segment)
    {
        queueName = "";
        segment = -1;
        var marker = key.LastIndexOf(SegmentMarker, StringComparison.Ordinal);
        if (marker <= 0)
        {
            return false;
        }

        var number = key.AsSpan(marker + SegmentMarker.Length);
        if (number.IsEmpty || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            || WorkQueueTaskIds.SegmentKey(key[..marker], parsed) != key)
        {
            return false;
        }

        try
        {
            QueueArguments.ValidateQueueName(key[..marker]);
        }
        catch (ArgumentException)
        {
            return false;
        }

        queueName = key[..marker];
        segment = parsed;
        return true;
    }

    private IQueueDirectory QueueDirectory => GrainFactory.GetGrain<IQueueDirectory>(_queueName);

    /// <summary>Full, and every task done: the directory can retire it.</summary>
    private bool IsDrained(SegmentLeases leases) =>
        Payloads.IsFull && leases.Entries.Count >= Payloads.Count && leases.Entries.TrueForAll(entry => entry.Status == QueueTaskStatus.Done);

    private int PendingIn(SegmentLeases leases, DateTimeOffset now)
    {
        if (Payloads.Purged || Payloads.Retired)
        {
            return 0;
        }

        var pending = Math.Max(0, Payloads.Count - leases.Entries.Count);
        foreach (var entry in leases.Entries)
        {
            if (entry.StatusAt(now, MaxAttempts) == QueueTaskStatus.Pending)
            {
                pending++;
            }
        }

        return pending;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': task {TaskId} completed.")]
    private partial void LogCompleted(string queueName, string taskId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}', segment {Segment}: a withdrawn claim's task is pending again, its attempt not counted.")]
    private partial void LogReleased(string queueName, long segment);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': task {TaskId} abandoned by its worker.")]
    private partial void LogAbandoned(string queueName, string taskId);
}
