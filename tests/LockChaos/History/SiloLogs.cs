namespace LockService.Chaos.History;

/// <summary>What the silos of a test logged (<c>silo-N.log</c> next to the history), as evidence the history cannot show.</summary>
public static class SiloLogs
{
    /// <summary>
    /// Writes by a stale activation that storage refused: a silo paused, cut off or declared dead kept a lock's
    /// activation while another silo took the lock over, and its grant, refresh or release then failed the ETag check
    /// (the grain logs it and fails the call closed). Each one is a split brain that storage stopped.
    /// </summary>
    public static int CountStaleWritesRefused(string folder) =>
        Directory.GetFiles(folder, "silo-*.log")
            .SelectMany(File.ReadLines)
            .Count(line => line.Contains("could not be written; the call fails closed", StringComparison.Ordinal)
                && line.Contains("InconsistentStateException", StringComparison.Ordinal));
}
