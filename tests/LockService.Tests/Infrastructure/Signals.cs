using System.Diagnostics;

namespace LockService.Tests.Infrastructure;

/// <summary>POSIX signals to processes the tests started (TERM, STOP, CONT), through the system's <c>kill</c>.</summary>
public static class Signals
{
    public static void Send(int processId, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {processId}") { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {processId} failed with exit code {kill.ExitCode}.");
        }
    }
}
