namespace LockService.Chaos.History;

/// <summary>
/// <c>LockChaos check DIR</c>: judges a kept history again (C1–C7) from its folder alone, the history files and
/// <see cref="CheckInput"/>, e.g. after a failed run or after the checker learned a new rule.
/// </summary>
public static class CheckCommand
{
    /// <summary>Prints the report and each violation; returns the process exit code (1 on any violation).</summary>
    public static int Run(string folder, TextWriter output)
    {
        if (QueueCheckInput.ExistsIn(folder))
        {
            return RunQueue(folder, output);
        }

        var input = CheckInput.Read(folder);
        var report = HistoryChecker.Check(HistoryFile.ReadAll(folder), input);
        report.StaleSiloWritesRefused = SiloLogs.CountStaleWritesRefused(folder);
        output.WriteLine($"{(report.Failures > 0 ? "FAIL" : "ok")}: {report}");
        report.Violations.ForEach(v => output.WriteLine($"   {v}"));
        return report.Failures > 0 ? 1 : 0;
    }

    // A work queue run's folder: the workers' logs judged by the queue checker against the kept counts.
    private static int RunQueue(string folder, TextWriter output)
    {
        var input = QueueCheckInput.Read(folder);
        var violations = input.Check(folder);
        output.WriteLine($"{(violations.Count > 0 ? "FAIL" : "ok")}: queue: {input.TaskIds.Count} tasks, {input.Workers.Count} worker incarnations, {violations.Count} violation(s)");
        foreach (var violation in violations)
        {
            output.WriteLine($"   {violation}");
        }

        return violations.Count > 0 ? 1 : 0;
    }
}
