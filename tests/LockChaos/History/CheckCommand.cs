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
        var input = CheckInput.Read(folder);
        var report = HistoryChecker.Check(HistoryFile.ReadAll(folder), input);
        report.StaleSiloWritesRefused = SiloLogs.CountStaleWritesRefused(folder);
        output.WriteLine($"{(report.Failures > 0 ? "FAIL" : "ok")}: {report}");
        report.Violations.ForEach(v => output.WriteLine($"   {v}"));
        return report.Failures > 0 ? 1 : 0;
    }
}
