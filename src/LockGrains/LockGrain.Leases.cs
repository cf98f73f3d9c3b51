using System.Runtime.CompilerServices;
using LockService.Leases;

namespace LockService.Grains;

/// <summary>
/// The lease-id calls: a lease is identified by a secret the client made (<see cref="LeaseIds.New"/>), so asking again
/// with it after a lost answer finds the same grant, and a caller that merely reuses an owner name finds nothing. The
/// state keeps only the id's SHA-256 (<see cref="LockState.LeaseIdHash"/>), compared in constant time; the owner is a
/// label for people. Lease ids are never logged, described or put into an exception message.
/// </summary>
public sealed partial class LockGrain
{
    // The lease waiters' owner labels and lease id hashes, beside the queue, which knows each waiter by one key only
    // (LeaseWaitKey). Weak, so an entry goes with its waiter however the queue drops it. Made for the first lease
    // waiter: a lock that nobody waits for (most of them) does not carry an empty table.
    private ConditionalWeakTable<Waiter, LeaseWaiter>? _leaseWaiters;

    public async Task<LockResult> TryAcquire(string owner, string leaseId, TimeSpan ttl)
    {
        ValidateCall(owner, ttl);
        LeaseIds.Validate(leaseId);
        var now = _leaseClock.Now();
        var current = Current;

        if (current.IsHeldAt(now))
        {
            if (!LeaseIdHash.Matches(leaseId, current.LeaseIdHashBytes))
            {
                // Another lease, even of the same owner: two attempts never share one grant.
                return Result(LockOutcome.Busy, current);
            }

            // The same lease asking again (a retry after a lost answer): extended, same token, never a second grant.
            return await ExtendAsync(now, ttl);
        }

        var hash = LeaseIdHash.BytesOf(leaseId);
        return await GrantToCallerAsync(new Claimant(owner, hash, LeaseIdOnly: true), LeaseWaitKey(hash), ttl, now, madeLeaseId: null);
    }

    public async Task<LockResult> Acquire(string owner, string leaseId, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ValidateCall(owner, ttl);
        LockArguments.ValidateWait(timeout);
        LeaseIds.Validate(leaseId);
        // As for the owner-keyed wait: storage's verdict on a write in flight, never a guess.
        await WhenWritesSettledAsync();
        var now = _leaseClock.Now();
        var current = Current;

        if (current.IsHeldAt(now) && LeaseIdHash.Matches(leaseId, current.LeaseIdHashBytes))
        {
            // A retried wait whose grant already landed: the grant is found again, not leaked.
            return Result(LockOutcome.Granted, current);
        }

        // Keyed by the lease, not the owner: two attempts with one owner label are two waiters.
        var hash = LeaseIdHash.BytesOf(leaseId);
        return await WaitInQueueAsync(LeaseWaitKey(hash), new LeaseWaiter(owner, hash), ttl, timeout, current, now, cancellationToken);
    }

    public async Task<LockResult> RefreshLease(string leaseId, TimeSpan ttl)
    {
        LockArguments.ValidateName(Name);
        LeaseIds.Validate(leaseId);
        LockArguments.ValidateTtl(ttl, _options.MaxLeaseDuration);
        var now = _leaseClock.Now();
        var current = Current;

        // As for Refresh: a lapsed lease is not revived.
        if (!current.IsHeldAt(now) || !LeaseIdHash.Matches(leaseId, current.LeaseIdHashBytes))
        {
            return Result(LockOutcome.NotHolder, current, now);
        }

        return await ExtendAsync(now, ttl);
    }

    public async Task<LockResult> ReleaseLease(string leaseId)
    {
        LockArguments.ValidateName(Name);
        LeaseIds.Validate(leaseId);
        var now = _leaseClock.Now();
        var current = Current;
        var matches = LeaseIdHash.Matches(leaseId, current.LeaseIdHashBytes);

        if (matches && current.Holder is { } holder)
        {
            // With nobody waiting the release reaches storage lazily; LockGrain.LazyRelease.cs argues why that is safe.
            var after = CanReleaseLazily ? ReleaseLazily(current) : await EndLeaseAsync(current, now, "release");
            LogReleased(Name, holder, current.FencingToken);
            return Result(LockOutcome.Released, after);
        }

        // The hash stays after release (like the last holder), so a repeated release is recognised.
        return matches ? Result(LockOutcome.AlreadyReleased, current) : Result(LockOutcome.NotHolder, current, now);
    }

    public async Task<LockResult> AbandonLease(string leaseId)
    {
        LockArguments.ValidateName(Name);
        LeaseIds.Validate(leaseId);
        // Not Granting: grants are written in ordinary turns, and this is one too, so none is in flight.
        _waiters.TryWithdraw(LeaseWaitKey(LeaseIdHash.BytesOf(leaseId)));

        var now = _leaseClock.Now();
        var current = Current;
        if (current.Holder is not null && LeaseIdHash.Matches(leaseId, current.LeaseIdHashBytes))
        {
            // Granted, but the answer never reached the caller, who has given up: hand it on rather than let it idle.
            var after = await EndLeaseAsync(current, now, "abandon");
            return Result(LockOutcome.Released, after);
        }

        return Result(LockOutcome.AlreadyReleased, current, now);
    }

    /// <summary>
    /// The queue key of a lease waiter. It starts with NUL, which no owner may contain, so it never meets an
    /// owner-keyed waiter; it holds the hash, not the id, like everything else the grain keeps (so the queue's ordinary
    /// string lookup is fine: how long it takes tells at most something about a hash, which does not give the id).
    /// </summary>
    private static string LeaseWaitKey(byte[] leaseIdHash) => "\0" + Convert.ToHexStringLower(leaseIdHash);

    /// <summary>Who a grant goes to: the owner label, the lease id's hash, and whether only the lease id may act on it.</summary>
    private readonly record struct Claimant(string Holder, byte[]? LeaseIdHash, bool LeaseIdOnly);

    /// <summary>A waiter of the lease-id <see cref="Acquire(string, string, TimeSpan, TimeSpan, CancellationToken)"/>.</summary>
    private sealed record LeaseWaiter(string Owner, byte[] LeaseIdHash);
}
