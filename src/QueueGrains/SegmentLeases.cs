using System.Text.Json.Serialization;
using LockService.Leases;

namespace LockService.Queues;

/// <summary>
/// The leases of one segment: an entry per task that was ever claimed, by task index. Claims take the lowest pending
/// index, so the tasks never claimed are always the indexes from <c>Entries.Count</c> on, and the list stays dense. Its
/// size is bounded by the segment's capacity, never by the queue's length. Kept when the segment retires, so a late
/// or repeated completion is still judged by the lease that completed the task. The JSON names are the stored contract.
/// </summary>
public sealed class SegmentLeases
{
    [JsonPropertyName("entries")]
    public List<TaskLease> Entries { get; set; } = [];

    public SegmentLeases Copy() => new() { Entries = [.. Entries] };

    /// <summary>The status of task <paramref name="index"/> at <paramref name="now"/> (a never-claimed task is pending).</summary>
    public QueueTaskStatus StatusAt(int index, DateTimeOffset now, int maxAttempts) =>
        index < Entries.Count ? Entries[index].StatusAt(now, maxAttempts) : QueueTaskStatus.Pending;

    /// <summary>The lowest index below <paramref name="count"/> that is pending at <paramref name="now"/>, or -1.</summary>
    public int FirstPending(int count, DateTimeOffset now, int maxAttempts)
    {
        for (var i = 0; i < Entries.Count && i < count; i++)
        {
            if (Entries[i].StatusAt(now, maxAttempts) == QueueTaskStatus.Pending)
            {
                return i;
            }
        }

        return Entries.Count < count ? Entries.Count : -1;
    }

    /// <summary>The index of a task claimed at <paramref name="now"/> by the lease whose id hashes to <paramref name="leaseIdHash"/>, or -1.</summary>
    public int FindClaimed(string leaseIdHash, DateTimeOffset now)
    {
        var found = -1;
        for (var i = 0; i < Entries.Count; i++)
        {
            // Every claimed entry is compared, so the time taken tells nothing about which one matched.
            if (Entries[i].IsClaimedAt(now) && LeaseIdHash.HashesMatch(leaseIdHash, Entries[i].LeaseIdHash))
            {
                found = i;
            }
        }

        return found;
    }

    /// <summary>
    /// Claims task <paramref name="index"/> (pending at <paramref name="now"/>) for a new lease: its token and attempt
    /// count go up by one.
    /// </summary>
    public TaskLease Claim(int index, string leaseIdHash, string worker, TimeSpan ttl, DateTimeOffset now)
    {
        var before = index < Entries.Count ? Entries[index] : null;
        var lease = new TaskLease(
            QueueTaskStatus.Claimed,
            leaseIdHash,
            worker,
            (now + ttl).ToUnixTimeMilliseconds(),
            checked((before?.ClaimToken ?? 0) + 1),
            (before?.Attempts ?? 0) + 1,
            before?.LastErrorAt(now));
        if (before is null)
        {
            Entries.Add(lease);
        }
        else
        {
            Entries[index] = lease;
        }

        return lease;
    }

    /// <summary>
    /// Writes down what time already decided: claims whose lease ended become pending (or dead after
    /// <paramref name="maxAttempts"/>), with the expiry as their last error. Changes nothing any call would see.
    /// </summary>
    public bool SettleExpired(DateTimeOffset now, int maxAttempts)
    {
        var changed = false;
        for (var i = 0; i < Entries.Count; i++)
        {
            var entry = Entries[i];
            if (entry.Status == QueueTaskStatus.Claimed && !entry.IsClaimedAt(now))
            {
                Entries[i] = entry with { Status = entry.StatusAt(now, maxAttempts), LastError = entry.LastErrorAt(now) };
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>The earliest end of a claim that is still out, or <see langword="null"/> when none is.</summary>
    public DateTimeOffset? NextExpiryAfter(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var entry in Entries)
        {
            if (entry.IsClaimedAt(now) && (next is null || entry.ExpiresAt < next))
            {
                next = entry.ExpiresAt;
            }
        }

        return next;
    }
}
