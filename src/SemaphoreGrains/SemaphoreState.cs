using System.Text.Json.Serialization;
using LockService.Leases;

namespace LockService.Semaphores;

/// <summary>
/// The durable record of one semaphore, stored under its own state name (<see cref="SemaphoreStorage.StateName"/>).
/// The JSON names are the stored contract (the grain storage serializer is System.Text.Json), so they are pinned.
/// </summary>
/// <remarks>
/// The row is never deleted and <see cref="FencingToken"/> never goes down, so every grant's token is larger than
/// every token granted before for this name. <see cref="Leases"/> may still list leases that ran out: expiry is
/// judged from <see cref="SemaphoreLease.ExpiresAt"/> and the clock on every call, and the next write drops them.
/// </remarks>
public sealed class SemaphoreState
{
    /// <summary>The limit, stored at the first grant (0 before), changed only by an operator's SetLimit.</summary>
    [JsonPropertyName("maxCount")]
    public int MaxCount { get; set; }

    /// <summary>The highest fencing token ever granted for this semaphore name.</summary>
    [JsonPropertyName("fencingToken")]
    public long FencingToken { get; set; }

    /// <summary>The leases, at most one valid lease per slot.</summary>
    [JsonPropertyName("leases")]
    public List<SemaphoreLease> Leases { get; set; } = [];

    /// <summary>The valid lease whose lease id hashes to <paramref name="leaseIdHash"/>, if any.</summary>
    public SemaphoreLease? FindValid(string leaseIdHash, DateTimeOffset now) =>
        Find(leaseIdHash) is { } lease && lease.IsValidAt(now) ? lease : null;

    /// <summary>The stored lease (valid or run out) whose lease id hashes to <paramref name="leaseIdHash"/>, if any.</summary>
    public SemaphoreLease? Find(string leaseIdHash)
    {
        SemaphoreLease? found = null;
        foreach (var lease in Leases)
        {
            // No early exit: every stored hash is compared, so the time taken tells nothing about which one matched.
            if (LeaseIdHash.HashesMatch(leaseIdHash, lease.LeaseIdHash))
            {
                found = lease;
            }
        }

        return found;
    }

    /// <summary>How many leases are valid at <paramref name="now"/>.</summary>
    public int HolderCountAt(DateTimeOffset now) => Leases.Count(lease => lease.IsValidAt(now));

    /// <summary>The valid leases at <paramref name="now"/>, by slot.</summary>
    public IEnumerable<SemaphoreLease> HoldersAt(DateTimeOffset now) => Leases.Where(lease => lease.IsValidAt(now)).OrderBy(lease => lease.Slot);

    /// <summary>Whether some stored lease has run out (a reap has work to do).</summary>
    public bool HasExpiredAt(DateTimeOffset now) => Leases.Any(lease => !lease.IsValidAt(now));

    /// <summary>The earliest end of a valid lease, or <see langword="null"/> when none is valid.</summary>
    public DateTimeOffset? NextExpiryAfter(DateTimeOffset now) =>
        Leases.Where(lease => lease.IsValidAt(now)).Select(lease => (DateTimeOffset?)lease.ExpiresAt).Min();

    /// <summary>A copy to build the next state in; the leases are immutable, so the list is all that is copied.</summary>
    public SemaphoreState Copy() => new() { MaxCount = MaxCount, FencingToken = FencingToken, Leases = [.. Leases] };

    /// <summary>Drops leases that ran out: each frees exactly its own slot.</summary>
    public void DropExpired(DateTimeOffset now) => Leases.RemoveAll(lease => !lease.IsValidAt(now));

    /// <summary>
    /// Grants the lowest free slot to a new lease with the next token (checked: a wrapped token would be reused). The
    /// caller has made sure fewer than the limit hold, and dropped the leases that ran out.
    /// </summary>
    public SemaphoreLease Grant(string leaseIdHash, string owner, TimeSpan ttl, DateTimeOffset now)
    {
        var taken = Leases.Select(lease => lease.Slot).ToHashSet();
        var slot = 0;
        while (taken.Contains(slot))
        {
            slot++;
        }

        FencingToken = checked(FencingToken + 1);
        var lease = new SemaphoreLease(slot, owner, leaseIdHash, FencingToken, now, now + ttl);
        Leases.Add(lease);
        return lease;
    }

    /// <summary>Replaces <paramref name="lease"/> with <paramref name="replacement"/> (a refresh).</summary>
    public void Replace(SemaphoreLease lease, SemaphoreLease replacement) => Leases[Leases.IndexOf(lease)] = replacement;
}
