using System.Diagnostics;

namespace LockService.Demo;

/// <summary>One silo process of a local cluster, as <c>scripts/cluster.sh</c> records it in <c>.cluster/silos</c>.</summary>
internal sealed record SiloProcessEntry(string Name, int ProcessId, int SiloPort, int GatewayPort);

/// <summary>Finds the process behind a silo address, so the demo can kill the silo that hosts a lock.</summary>
internal sealed class SiloProcessMap
{
    private readonly IReadOnlyList<SiloProcessEntry> _silos;

    private SiloProcessMap(IReadOnlyList<SiloProcessEntry> silos) => _silos = silos;

    /// <summary>Reads lines of <c>name pid silo_port gateway_port</c>; <c>#</c> starts a comment.</summary>
    public static SiloProcessMap Load(string path)
    {
        var silos = new List<SiloProcessEntry>();
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#'))
            {
                continue;
            }

            if (fields.Length != 4 || !int.TryParse(fields[1], out var pid) || !int.TryParse(fields[2], out var siloPort) || !int.TryParse(fields[3], out var gatewayPort))
            {
                throw new FormatException($"{path}: expected 'name pid silo_port gateway_port', got '{line}'");
            }

            silos.Add(new SiloProcessEntry(fields[0], pid, siloPort, gatewayPort));
        }

        return new SiloProcessMap(silos);
    }

    public SiloProcessEntry? FindBySiloPort(int siloPort) => _silos.FirstOrDefault(s => s.SiloPort == siloPort);

    /// <summary>
    /// SIGKILL, like a machine losing power: no graceful leave, no goodbye to the cluster. Refuses a PID that is no
    /// longer a lock silo (PIDs are reused), so a stale map can never kill an unrelated process.
    /// </summary>
    public static void KillHard(SiloProcessEntry silo)
    {
        var commandLine = File.Exists($"/proc/{silo.ProcessId}/cmdline") ? File.ReadAllText($"/proc/{silo.ProcessId}/cmdline") : "";
        if (!commandLine.Contains("LockSilo.dll", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{silo.Name}: process {silo.ProcessId} is not a running lock silo; is the process map stale?");
        }

        using var process = Process.GetProcessById(silo.ProcessId);
        process.Kill(); // SIGKILL on Linux.
    }
}
