using System.Diagnostics;

namespace LockService.Testing;

/// <summary>POSIX signals to processes the tests started (TERM, STOP, CONT), through the system's <c>kill</c>.</summary>
public static class Signals
{
    /// <summary>Sends a signal, ignoring a process that is already gone.</summary>
    public static bool TrySend(int processId, string signal)
    {
        try
        {
            Send(processId, signal);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static void Send(int processId, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {processId}") { UseShellExecute = false, RedirectStandardError = true })!;
        kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {processId} failed with exit code {kill.ExitCode}.");
        }
    }
}
