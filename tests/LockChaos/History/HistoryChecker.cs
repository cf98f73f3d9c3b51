using System.Diagnostics;

namespace LockService.Chaos.History;

/// <summary>What storage and the protected resources held at the end of a test, read after every process stopped.</summary>
public sealed record FinalState(
    IReadOnlyDictionary<string, long> StoredTokens,
    IReadOnlyList<(string Lock, long Sequence, long Token)> FencedLog,
    IReadOnlyDictionary<string, long> Counters);

/// <summary>
/// Judges a history against the lock service's guarantees, per lock:
/// C1 a token is granted to one owner only; C2 tokens follow real time; C3 no two holders overlap (conservatively:
/// a hold runs from its grant's answer to the earlier of its release and its last successful acquire/refresh
/// invocation plus TTL); C4 the fenced resource never accepted a stale writer; C5 the highest stored token equals
/// the highest seen, give or take grants whose answer was lost; C6 after each fault, a grant within the bound.
/// Unknown-outcome operations make no holds (C3) but count as possible grants (C5).
/// </summary>
public static class HistoryChecker
{
    public static CheckReport Check(IReadOnlyList<HistoryEvent> events, FinalState final, TimeSpan recoveryBound, bool measureC3Only = false)
    {
        var operations = Operation.FromEvents(events);
        var report = new CheckReport { Operations = operations.Count, C3Measured = measureC3Only };
        var grants = operations.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok && o.Lock is not null && o.Token is not null).ToList();
        report.Grants = grants.Count;

        foreach (var perLock in operations.Where(o => o.Lock is not null && o.Op != HistoryEvent.Ops.Fault).GroupBy(o => o.Lock!))
        {
            var lockGrants = perLock.Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok && o.Token is not null).ToList();
            CheckDistinctTokens(perLock.Key, lockGrants, report);
            CheckRealTimeOrder(perLock.Key, lockGrants, report);
            CheckNoOverlap(perLock.Key, perLock.ToList(), report);
            CheckStoredToken(perLock.Key, perLock.ToList(), final, report);
        }

        CheckFencing(operations, final, report);
        CheckRecovery(operations, grants, recoveryBound, report);
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
        var byEnd = grants.OrderBy(g => g.EndT).ToList();
        var next = 0;
        Operation? highest = null;
        foreach (var b in grants.OrderBy(g => g.InvokeT))
        {
            while (next < byEnd.Count && byEnd[next].EndT < b.InvokeT)
            {
                if (highest is null || byEnd[next].Token > highest.Token)
                {
                    highest = byEnd[next];
                }

                next++;
            }

            if (highest is not null && (b.Token < highest.Token || (b.Token == highest.Token && b.Owner != highest.Owner)))
            {
                report.C2++;
                report.Violation("C2", $"lock {lockName}: {b.Owner} got token {b.Token} after {highest.Owner}'s token {highest.Token} was already answered");
            }
        }
    }

    // C3
    private static void CheckNoOverlap(string lockName, List<Operation> operations, CheckReport report)
    {
        var holds = new List<(string Owner, long Token, long Start, long End)>();
        foreach (var lease in operations.Where(o => o.Owner is not null && o.Token is not null && o.Ok && o.Op is HistoryEvent.Ops.Acquire or HistoryEvent.Ops.Refresh)
                     .GroupBy(o => (Owner: o.Owner!, Token: o.Token!.Value)))
        {
            var start = lease.Where(o => o.Op == HistoryEvent.Ops.Acquire).Select(o => o.EndT!.Value).DefaultIfEmpty(long.MaxValue).Min();
            if (start == long.MaxValue)
            {
                continue;
            }

            var valid = lease.Max(o => o.InvokeT + Ticks(o.TtlMs ?? 0));
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
            foreach (var other in active.Where(a => a.Owner != hold.Owner))
            {
                var overlap = (Math.Min(other.End, hold.End) - hold.Start) * 1000.0 / Stopwatch.Frequency;
                report.C3++;
                report.MaxOverlapMs = Math.Max(report.MaxOverlapMs, overlap);
                report.Violation("C3", $"lock {lockName}: {hold.Owner} (token {hold.Token}) held while {other.Owner} (token {other.Token}) still did, for {overlap:0} ms");
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

    // C4
    private static void CheckFencing(List<Operation> operations, FinalState final, CheckReport report)
    {
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

    // C6
    private static void CheckRecovery(List<Operation> operations, List<Operation> grants, TimeSpan bound, CheckReport report)
    {
        var faults = operations.Where(o => o.Op == HistoryEvent.Ops.Fault).ToList();
        report.Faults = faults.Count;
        var lastEvent = operations.Select(o => o.EndT ?? o.InvokeT).DefaultIfEmpty(0).Max();
        var grantTimes = grants.Select(g => g.EndT!.Value).OrderBy(t => t).ToArray();
        foreach (var fault in faults)
        {
            var ended = fault.EndT ?? fault.InvokeT;
            var index = Array.BinarySearch(grantTimes, ended);
            index = index < 0 ? ~index : index;
            if (index < grantTimes.Length)
            {
                var recovery = (grantTimes[index] - ended) * 1000.0 / Stopwatch.Frequency;
                report.MaxRecoveryMs = Math.Max(report.MaxRecoveryMs, recovery);
                if (recovery > bound.TotalMilliseconds)
                {
                    report.C6++;
                    report.Violation("C6", $"after fault '{fault.Detail}' the first grant came {recovery / 1000:0.0} s later (bound {bound.TotalSeconds:0.0} s)");
                }
            }
            else if ((lastEvent - ended) * 1000.0 / Stopwatch.Frequency > bound.TotalMilliseconds)
            {
                report.C6++;
                report.Violation("C6", $"after fault '{fault.Detail}' no grant at all");
            }
        }
    }

    private static long Ticks(double milliseconds) => (long)(milliseconds / 1000.0 * Stopwatch.Frequency);
}
