using LockService.Leases;
using Microsoft.Extensions.Logging;

namespace LockService.Queues;

/// <summary>
/// Withdrawing a claim attempt whose claimer gave up: its waiting call leaves the queue of claimers, and a task already
/// claimed for it (the answer lost on the way, or never read) goes back to pending at once, not when its lease ends.
/// </summary>
/// <remarks>
/// The directory finds the claim through its in-memory index of claims out (<see cref="_claimsByLease"/>), which a new
/// activation rebuilds from its segments, so a withdrawal after a failover or a reactivation still finds a claim that
/// was made durable. Waiting claimers live only in memory: after a reactivation their calls have failed already, and
/// there is nothing to withdraw. A claim the directory never learned of (its segment's answer lost on the way back)
/// is not found and ends with its lease.
/// </remarks>
public sealed partial class WorkQueueGrain
{
    public async Task<bool> Withdraw(string leaseId)
    {
        ValidateName();
        LeaseIds.Validate(leaseId);
        var hash = LeaseIdHash.Of(leaseId);

        if (_waiters.TryWithdraw(hash))
        {
            // It was waiting and not being served: its wait call returns nothing, and nothing was claimed for it.
            LogWithdrawnWaiter(Name);
            return true;
        }

        if (_claimsInFlight.TryGetValue(hash, out var inFlight))
        {
            // A claim for it is being written right now (a waiter being served, or a try): give back what it gets.
            try
            {
                await inFlight;
            }
            catch (Exception)
            {
                // Failed closed: nothing was claimed for it.
            }
        }

        if (!_claimsByLease.TryGetValue(hash, out var where))
        {
            return false;
        }

        // A storage failure reaches the caller with the index entry kept, so a retried withdrawal finds the claim again.
        var released = await Segment(where.Segment).Release(hash);
        _claimsByLease.Remove(hash);
        if (!released)
        {
            // Its lease ended, or it was completed or abandoned meanwhile: nothing to give back.
            return false;
        }

        if (_segments.TryGetValue(where.Segment, out var view))
        {
            view.Pending++;
        }

        LogWithdrawnClaim(Name, where.Segment);
        ServeWaiters();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': a waiting claimer withdrew.")]
    private partial void LogWithdrawnWaiter(string queueName);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue '{QueueName}': a claimer withdrew; its task in segment {Segment} is pending again.")]
    private partial void LogWithdrawnClaim(string queueName, long segment);
}
