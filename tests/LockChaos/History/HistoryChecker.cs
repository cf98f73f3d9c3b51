using System.Diagnostics;

namespace LockService.Chaos.History;

/// <summary>What storage and the protected resources held at the end of a test, read after every process stopped.</summary>
public sealed record FinalState(
    IReadOnlyDictionary<string, long> StoredTokens,
    IReadOnlyList<(string Lock, long Sequence, long Token)> FencedLog,
    IReadOnlyDictionary<string, long> Counters);

/// <summary>
/// Judges a history against the lock service's guarantees, per lock or semaphore name:
/// C1 a token is granted to one owner only; C2 tokens follow real time; C3 no two holders of a lock overlap, and no
/// more than N holders of a semaphore of limit N (conservatively: a hold runs from its grant's answer to the earlier
/// of its release and its last successful acquire/refresh invocation plus TTL, less the clock skew the test allows); C4 the fenced resource (a
/// semaphore's: each slot's own) never accepted a write after a higher token had written, judged
/// from every attempted write the clients recorded; C5 the highest stored token equals
/// the highest seen, give or take grants whose answer was lost; C6 after each fault, no lock
/// refuses clients for longer than the bound before it is granted again; C7 a live lock handle stops believing it
/// holds the lock (its <c>HandleLostToken</c> fires, or its dispose begins) before anyone else is granted it.
/// Unknown-outcome operations make no holds (C3) but count as possible grants (C5).
/// </summary>
public static class HistoryChecker
{
    /// <summary>Judges a history with the rules its test recorded next to it.</summary>
    public static CheckReport Check(IReadOnlyList<HistoryEvent> events, CheckInput input) =>
        Check(events, input.Final, input.RecoveryBound, input.MeasureC3, input.MeasureC7, input.ClockSkewAllowance);

    public static CheckReport Check(IReadOnlyList<HistoryEvent> events, FinalState final, TimeSpan recoveryBound, bool measureC3Only = false, bool measureC7Only = false, TimeSpan clockSkewAllowance = default)
    {
        var operations = Operation.FromEvents(events);
        var report = new CheckReport { Operations = operations.Count, C3Measured = measureC3Only, C7Measured = measureC3Only || measureC7Only, C3SkewAllowanceMs = clockSkewAllowance.TotalMilliseconds };
        var grants = operations.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok && o.Lock is not null && o.Token is not null).ToList();
        report.Grants = grants.Count;
        report.SemaphoreGrants = grants.Count(g => g.Max is not null);

        foreach (var perLock in operations.Where(o => o.Lock is not null && o.Op != HistoryEvent.Ops.Fault).GroupBy(o => o.Lock!))
        {
            var lockGrants = perLock.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok && o.Token is not null).ToList();
            CheckDistinctTokens(perLock.Key, lockGrants, report);
            CheckRealTimeOrder(perLock.Key, lockGrants, report);
            CheckNoOverlap(perLock.Key, perLock.ToList(), clockSkewAllowance, report);
            CheckStoredToken(perLock.Key, perLock.ToList(), final, report);
        }

        CheckFencing(operations, final, report);
        CheckRecovery(operations, grants, recoveryBound, report);
        CheckHandleBelief(operations, grants, report);
        return report;
    }

    // C1
    private static void CheckDistinctTokens(string lockName, List<Operation> grants, CheckReport report)
    {
        foreach (var byToken in grants.GroupBy(g => g.Token!.Value))
        {
            var owners = byToken.Select(g => g.Owner).Distinct().ToList();
            if (owners.Count > 1)
            {
                report.C1 += owners.Count - 1;
                report.Violation("C1", $"lock {lockName}: token {byToken.Key} granted to {string.Join(", ", owners)}");
            }
        }
    }

    // C2: if A answered before B was invoked, token(A) < token(B), or equal for the same owner (a renewal).
    private static void CheckRealTimeOrder(string lockName, List<Operation> grants, CheckReport report)
    {
        foreach (var (b, highest) in WithHighestAnsweredBefore(grants))
        {
            if (highest is not null && (b.Token < highest.Token || (b.Token == highest.Token && b.Owner != highest.Owner)))
            {
                report.C2++;
                report.Violation("C2", $"lock {lockName}: {b.Owner} got token {b.Token} after {highest.Owner}'s token {highest.Token} was already answered");
            }
        }
    }

    // C3: at most `limit` holders at once, where the limit is a semaphore's recorded max and 1 for a lock. Under a
    // known clock skew, a lease stamped by one silo and judged by another that runs ahead ends that much earlier: the
    // guarantee is then that no lease is cut shorter than its TTL minus the skew, so each hold is judged that shorter.
    private static void CheckNoOverlap(string lockName, List<Operation> operations, TimeSpan clockSkewAllowance, CheckReport report)
    {
        var limit = operations.Where(o => o.Op == HistoryEvent.Ops.Acquire).Select(o => o.Max ?? 1).DefaultIfEmpty(1).Max();
        var holds = new List<(string Owner, long Token, long Start, long End)>();
        foreach (var lease in operations.Where(o => o.Owner is not null && o.Token is not null && o.Ok && o.Op is HistoryEvent.Ops.Acquire or HistoryEvent.Ops.Refresh)
                     .GroupBy(o => (Owner: o.Owner!, Token: o.Token!.Value)))
        {
            var start = lease.Where(o => o.Op == HistoryEvent.Ops.Acquire).Select(o => o.EndT!.Value).DefaultIfEmpty(long.MaxValue).Min();
            if (start == long.MaxValue)
            {
                continue;
            }

            var valid = lease.Max(o => o.InvokeT + Ticks(o.TtlMs ?? 0)) - Ticks(clockSkewAllowance.TotalMilliseconds);
            var release = operations.Where(o => o.Op == HistoryEvent.Ops.Release && o.Owner == lease.Key.Owner && o.Token == lease.Key.Token && o.InvokeT >= start)
                .Select(o => o.InvokeT).DefaultIfEmpty(long.MaxValue).Min();
            var end = Math.Min(valid, release);
            if (end > start)
            {
                // A grant answered only after its lease had run out gives no provable hold at all.
                holds.Add((lease.Key.Owner, lease.Key.Token, start, end));
            }
        }

        var active = new List<(string Owner, long Token, long Start, long End)>();
        foreach (var hold in holds.OrderBy(h => h.Start))
        {
            active.RemoveAll(a => a.End <= hold.Start);

            // The new hold makes one holder more than the others still holding. Each of them beyond limit - 1 is one
            // violation, and lasts as long as that many others still hold: ordered by when they end, the k-th latest
            // one's end (for a lock, limit 1: every other holder is a violation, lasting until it ends).
            var others = active.Where(a => a.Owner != hold.Owner).OrderByDescending(a => a.End).ToList();
            for (var k = limit - 1; k < others.Count; k++)
            {
                var other = others[k];
                var overlap = (Math.Min(other.End, hold.End) - hold.Start) * 1000.0 / Stopwatch.Frequency;
                report.C3++;
                report.MaxOverlapMs = Math.Max(report.MaxOverlapMs, overlap);
                report.Violation("C3", limit == 1
                    ? $"lock {lockName}: {hold.Owner} (token {hold.Token}) held while {other.Owner} (token {other.Token}) still did, for {overlap:0} ms"
                    : $"semaphore {lockName} (max {limit}): {hold.Owner} (token {hold.Token}) held while {k + 1} others still did ({string.Join(", ", others.Take(k + 1).Select(o => $"{o.Owner} token {o.Token}"))}), {limit + 1} holders for {overlap:0} ms");
            }

            active.Add(hold);
        }
    }

    // C5
    private static void CheckStoredToken(string lockName, List<Operation> operations, FinalState final, CheckReport report)
    {
        var seen = operations.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok && o.Token is not null).Select(o => o.Token!.Value).DefaultIfEmpty(0).Max();
        var possible = operations.Count(o => o.Op == HistoryEvent.Ops.Acquire && o.Unknown);
        var stored = final.StoredTokens.GetValueOrDefault(lockName);
        if (stored < seen || stored > seen + possible)
        {
            report.C5++;
            report.Violation("C5", $"lock {lockName}: storage holds token {stored}, clients saw {seen} with {possible} unknown-outcome acquires");
        }
    }

    // C4, from the clients' own records of every attempted write: no write was accepted after a write with a higher
    // token had been accepted and answered. The resource's log alone cannot show this (it keeps only what it accepted,
    // so a resource that forgot a token would log a clean sequence). Writes that overlap in time may have landed in
    // either order, so only a write that began after the higher one's answer counts; unknown outcomes prove nothing.
    // The log is judged as well: it catches an accepted write that no surviving client recorded.
    // A semaphore's holders write to their slot's resource (one "highest wins" for all slots would refuse legitimate
    // concurrent holders), so its writes are judged per slot; its resource log is keyed per slot already.
    private static void CheckFencing(List<Operation> operations, FinalState final, CheckReport report)
    {
        foreach (var perResource in operations.Where(o => o.Op == HistoryEvent.Ops.FencedWrite && o.Ok && o.Lock is not null && o.Token is not null).GroupBy(o => (Lock: o.Lock!, o.Slot)))
        {
            var resource = perResource.Key.Slot is { } slot ? $"semaphore {perResource.Key.Lock} slot {slot}" : $"lock {perResource.Key.Lock}";
            foreach (var (write, highest) in WithHighestAnsweredBefore(perResource.ToList()))
            {
                if (highest is not null && write.Token < highest.Token)
                {
                    report.C4++;
                    report.Violation("C4", $"{resource}: {write.Owner} wrote with token {write.Token} and the fenced resource accepted it, after {highest.Owner}'s write with token {highest.Token} had been accepted");
                }
            }
        }

        foreach (var log in final.FencedLog.GroupBy(l => l.Lock))
        {
            var highest = long.MinValue;
            foreach (var write in log.OrderBy(l => l.Sequence))
            {
                if (write.Token < highest)
                {
                    report.C4++;
                    report.Violation("C4", $"lock {log.Key}: the fenced resource accepted token {write.Token} after {highest}");
                }

                highest = Math.Max(highest, write.Token);
            }
        }

        report.FencedWritesAccepted = final.FencedLog.Count;
        report.StaleWritesRejected = operations.Count(o => o.Op == HistoryEvent.Ops.FencedWrite && o.Outcome == HistoryEvent.Phases.Fail && o.Detail == "stale");
        var believed = operations.Where(o => o.Op == HistoryEvent.Ops.Counter && o.Ok).GroupBy(o => o.Lock!).ToDictionary(g => g.Key, g => (long)g.Count());
        report.UnfencedLostUpdates = believed.Sum(b => Math.Max(0, b.Value - final.Counters.GetValueOrDefault(b.Key)));
    }

    // C6, per lock: after a fault ends, no lock keeps turning clients away for longer than the bound before it is
    // granted again. Judged per lock because "some lock was granted" would hide a lock stuck on a dead silo behind the
    // locks the surviving silos kept serving. A lock is still down at a refused (or unanswered) request made after the
    // fault's end and before the lock's next grant; measured at the request's invocation, so the figure is a lower
    // bound and a violation is certain, not an artefact of clients that happened not to ask for a while. A lock that a
    // later fault hit before it recovered is judged after that fault instead.
    private static void CheckRecovery(List<Operation> operations, List<Operation> grants, TimeSpan bound, CheckReport report)
    {
        var faults = operations.Where(o => o.Op == HistoryEvent.Ops.Fault).OrderBy(o => o.InvokeT).ToList();
        report.Faults = faults.Count;
        var grantsByLock = grants.GroupBy(g => g.Lock!).ToDictionary(g => g.Key, g => g.ToList());
        var refusals = operations.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Lock is not null && !o.Ok).GroupBy(o => o.Lock!).ToList();
        var anyGrant = grants.Select(g => g.EndT!.Value).OrderBy(t => t).ToArray();
        var lastEvent = operations.Select(o => o.EndT ?? o.InvokeT).DefaultIfEmpty(0).Max();
        foreach (var fault in faults)
        {
            var ended = fault.EndT ?? fault.InvokeT;
            var nextFault = faults.Where(f => f.InvokeT > ended).Select(f => f.InvokeT).DefaultIfEmpty(long.MaxValue).Min();

            // And the service as a whole grants again: this catches calls that hang rather than fail.
            var first = Array.BinarySearch(anyGrant, ended);
            first = first < 0 ? ~first : first;
            var silentUntil = Math.Min(first < anyGrant.Length ? anyGrant[first] : lastEvent, nextFault);
            if ((silentUntil - ended) * 1000.0 / Stopwatch.Frequency > bound.TotalMilliseconds)
            {
                report.C6++;
                report.Violation("C6", $"after fault '{fault.Detail}' no lock was granted for {(silentUntil - ended) * 1.0 / Stopwatch.Frequency:0.0} s (bound {bound.TotalSeconds:0.0} s)");
            }

            foreach (var perLock in refusals)
            {
                var grantsOfLock = grantsByLock.GetValueOrDefault(perLock.Key, []);
                var recovered = Math.Min(RecoveredAt(grantsOfLock, ended), nextFault);

                // A refusal that names a token granted after the fault lost a race to that grant: the lock was serving.
                var grantedSince = grantsOfLock.Where(g => g.EndT!.Value >= ended).Select(g => g.Token!.Value).ToHashSet();

                // A request still waiting at the fault's end counts from the end.
                var lastRefused = perLock.Where(o => (o.EndT ?? long.MaxValue) >= ended && o.InvokeT < recovered)
                    .Where(o => BusyWith(o) is not { } holder || !grantedSince.Contains(holder))
                    .Select(o => Math.Max(o.InvokeT, ended)).DefaultIfEmpty(ended).Max();
                var down = (lastRefused - ended) * 1000.0 / Stopwatch.Frequency;
                report.MaxRecoveryMs = Math.Max(report.MaxRecoveryMs, down);
                if (down > bound.TotalMilliseconds)
                {
                    report.C6++;
                    report.Violation("C6", $"lock {perLock.Key}: after fault '{fault.Detail}' it still refused a client {down / 1000:0.0} s later (bound {bound.TotalSeconds:0.0} s)");
                }
            }
        }
    }

    // The token a refusal named as the lock's holder ("Busy (token 7)"), or null for any other refusal.
    private static long? BusyWith(Operation refusal) =>
        refusal.Detail is { } detail && detail.StartsWith(BusyPrefix, StringComparison.Ordinal) && detail.EndsWith(')')
        && long.TryParse(detail.AsSpan(BusyPrefix.Length, detail.Length - BusyPrefix.Length - 1), out var token) ? token : null;

    private const string BusyPrefix = "Busy (token ";

    // When a lock served again after a fault that ended at `ended`: the earliest grant answered after it. A try asked
    // for after the fault counts from its invocation: it was granted at some moment of its call, and a client refused
    // meanwhile lost to it, not to an outage. A wait counts from its answer, since it may have queued behind a holder
    // that kept the lock from everyone until then.
    private static long RecoveredAt(List<Operation> grantsOfLock, long ended)
    {
        var recovered = long.MaxValue;
        foreach (var grant in grantsOfLock)
        {
            if (grant.EndT!.Value >= ended)
            {
                recovered = Math.Min(recovered, grant.IsTry && grant.InvokeT >= ended ? grant.InvokeT : grant.EndT.Value);
            }
        }

        return recovered;
    }

    // C7: a live (neither paused nor killed) lock handle never believes it holds the lock past the moment another holder
    // is granted. It believes from its acquire's return until HandleLostToken fires or its dispose begins (or, with
    // neither recorded, until its worker's last record: the process ended). The other grant counts from its answer,
    // the latest moment it can have been made, so a violation is certain. A handle whose process a fault hit (SIGSTOP,
    // kill -9) while it believed is not judged: a frozen process cannot act on anything, and only fencing protects then.
    private static void CheckHandleBelief(List<Operation> operations, List<Operation> grants, CheckReport report)
    {
        var handleGrants = grants.Where(g => g.Api == HistoryEvent.Apis.Handle).ToList();
        report.HandleGrants = handleGrants.Count;
        report.HandlesLost = operations.Count(o => o.Op == HistoryEvent.Ops.Lost);
        var lastSeen = operations.GroupBy(o => o.Client).ToDictionary(g => g.Key, g => g.Max(o => o.EndT ?? o.InvokeT));
        var beliefEnds = operations.Where(o => o.Op is HistoryEvent.Ops.Lost || (o.Op == HistoryEvent.Ops.Release && o.Api == HistoryEvent.Apis.Handle))
            .GroupBy(o => (o.Lock, o.Owner, o.Token)).ToDictionary(g => g.Key, g => g.Min(o => o.InvokeT));
        var clientFaults = operations.Where(o => o.Op == HistoryEvent.Ops.Fault && o.Target is not null).ToList();
        var grantsByLock = grants.GroupBy(g => g.Lock!).ToDictionary(g => g.Key, g => g.ToList());

        foreach (var handle in handleGrants)
        {
            var start = handle.EndT!.Value;
            var end = Math.Min(beliefEnds.GetValueOrDefault((handle.Lock, handle.Owner, handle.Token), long.MaxValue), lastSeen[handle.Client]);
            var process = handle.Client.Split('-')[0];
            if (clientFaults.Any(f => f.Target == process && f.InvokeT <= end && (f.EndT ?? f.InvokeT) >= start))
            {
                continue;
            }

            var next = grantsByLock[handle.Lock!].Where(g => g.Owner != handle.Owner && g.Token > handle.Token).MinBy(g => g.EndT);
            if (next is not null && next.EndT < end)
            {
                var overrun = (end - next.EndT!.Value) * 1000.0 / Stopwatch.Frequency;
                report.C7++;
                report.MaxBeliefOverrunMs = Math.Max(report.MaxBeliefOverrunMs, overrun);
                report.Violation("C7", $"lock {handle.Lock}: handle of {handle.Owner} (token {handle.Token}) still believed it held the lock {overrun:0} ms after {next.Owner} was granted token {next.Token}");
            }
        }
    }

    /// <summary>
    /// Each operation in invocation order, with the highest-token operation among them that had been answered before it
    /// was invoked: what it must not go below (operations that overlap in time may have taken effect in either order).
    /// </summary>
    private static IEnumerable<(Operation Operation, Operation? HighestBefore)> WithHighestAnsweredBefore(List<Operation> operations)
    {
        var byEnd = operations.OrderBy(o => o.EndT).ToList();
        var next = 0;
        Operation? highest = null;
        foreach (var operation in operations.OrderBy(o => o.InvokeT))
        {
            while (next < byEnd.Count && byEnd[next].EndT < operation.InvokeT)
            {
                if (highest is null || byEnd[next].Token > highest.Token)
                {
                    highest = byEnd[next];
                }

                next++;
            }

            yield return (operation, highest);
        }
    }

    private static long Ticks(double milliseconds) => (long)(milliseconds / 1000.0 * Stopwatch.Frequency);
}
