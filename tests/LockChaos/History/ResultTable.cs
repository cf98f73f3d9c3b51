namespace LockService.Chaos.History;

/// <summary>The suite's summary as a Markdown table, a row per test and a total, as the README shows it.</summary>
public sealed class ResultTable
{
    private readonly List<(string Test, string Release, CheckReport Report, TimeSpan Elapsed)> _rows = [];

    /// <param name="release">How the test's silos write releases (lazy release on or off).</param>
    public void Add(string test, string release, CheckReport report, TimeSpan elapsed) => _rows.Add((test, release, report, elapsed));

    public IEnumerable<string> Lines()
    {
        yield return "| test | release | operations | grants | faults | C1 | C2 | C3 | C4 | C5 | C6 | C7 | handle grants | handles lost | max recovery | stale fenced writes rejected | stale silo writes refused by storage | unfenced lost updates | time |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (var (test, release, r, elapsed) in _rows)
        {
            var c3 = r.C3Measured ? $"{r.C3} (measured, max overlap {r.MaxOverlapMs:0} ms)" : $"{r.C3}";
            var c7 = r.C7Measured ? $"{r.C7} (measured{(r.C7 > 0 ? $", max {r.MaxBeliefOverrunMs:0} ms" : "")})" : $"{r.C7}";
            yield return Row(test, release, r.Operations, r.Grants, r.Faults, r.C1, r.C2, c3, r.C4, r.C5, r.C6, c7, r.HandleGrants, r.HandlesLost, r.MaxRecoveryMs, r.StaleWritesRejected, r.StaleSiloWritesRefused, r.UnfencedLostUpdates, $"{elapsed.TotalSeconds:0} s");
        }

        var all = _rows.Select(r => r.Report).ToList();
        yield return Row(
            "total", "", all.Sum(r => r.Operations), all.Sum(r => r.Grants), all.Sum(r => r.Faults), all.Sum(r => r.C1), all.Sum(r => r.C2),
            $"{all.Sum(r => r.C3)}", all.Sum(r => r.C4), all.Sum(r => r.C5), all.Sum(r => r.C6), all.Sum(r => r.C7), all.Sum(r => r.HandleGrants), all.Sum(r => r.HandlesLost), all.Select(r => r.MaxRecoveryMs).DefaultIfEmpty(0).Max(),
            all.Sum(r => r.StaleWritesRejected), all.Sum(r => r.StaleSiloWritesRefused), all.Sum(r => r.UnfencedLostUpdates),
            $"{_rows.Sum(r => r.Elapsed.TotalMinutes):0.0} min");
    }

    private static string Row(string test, string release, int operations, int grants, int faults, int c1, int c2, string c3, int c4, int c5, int c6, object c7, int handleGrants, int handlesLost, double recoveryMs, int staleFenced, int staleSilo, long lostUpdates, string time) =>
        $"| {test} | {release} | {operations} | {grants} | {faults} | {c1} | {c2} | {c3} | {c4} | {c5} | {c6} | {c7} | {handleGrants} | {handlesLost} | {recoveryMs / 1000:0.0} s | {staleFenced} | {staleSilo} | {lostUpdates} | {time} |";
}
