using System.Diagnostics;
using LockService.Testing;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// Gives each silo a network of its own (a Linux network namespace) joined to the host by a bridge, so the nemesis can
/// cut one silo off from the others with firewall rules inside its namespace, the way a switch or a cloud security
/// group fails, while the processes keep running. The host (PostgreSQL, the clients) is 10.213.0.1; silo i is
/// 10.213.0.(11+i). Needs root, <c>ip</c> (iproute2) and <c>iptables</c>; everything is removed on dispose.
/// </summary>
public sealed class SiloNetwork(PostgresControl postgres, int silos) : IAsyncDisposable
{
    public const string HostAddress = "10.213.0.1";
    private const string Subnet = "10.213.0.0/24";
    private const string Bridge = "lkchaos0";

    private bool _postgresListening;

    public static string SiloAddress(int index) => $"10.213.0.{11 + index}";

    private static string Namespace(int index) => $"lkchaos-s{index}";

    private static string HostSide(int index) => $"lkchaos-h{index}";

    private static string SiloSide(int index) => $"lkchaos-n{index}";

    /// <summary>How slot <paramref name="index"/>'s silo is started: inside its namespace, reaching PostgreSQL at the host's bridge address.</summary>
    public SiloPlacement Placement(int index) =>
        new(SiloAddress(index), ["ip", "netns", "exec", Namespace(index)]) { PostgresHost = HostAddress };

    public async Task SetUpAsync()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("The network partition tests need root (network namespaces and iptables); run scripts/chaos.sh as root.");
        }

        RemoveLeftovers();
        Run("ip", "link", "add", Bridge, "type", "bridge");
        Run("ip", "addr", "add", $"{HostAddress}/24", "dev", Bridge);
        Run("ip", "link", "set", Bridge, "up");
        for (var i = 0; i < silos; i++)
        {
            Run("ip", "netns", "add", Namespace(i));
            Run("ip", "link", "add", HostSide(i), "type", "veth", "peer", "name", SiloSide(i));
            Run("ip", "link", "set", SiloSide(i), "netns", Namespace(i));
            Run("ip", "link", "set", HostSide(i), "master", Bridge);
            Run("ip", "link", "set", HostSide(i), "up");
            InNamespace(i, "ip", "addr", "add", $"{SiloAddress(i)}/24", "dev", SiloSide(i));
            InNamespace(i, "ip", "link", "set", SiloSide(i), "up");
            InNamespace(i, "ip", "link", "set", "lo", "up");
        }

        // PostgreSQL listens on loopback only; the silos reach it over the bridge.
        await postgres.ListenAlsoOnAsync(HostAddress, Subnet);
        _postgresListening = true;
    }

    /// <summary>
    /// Drops every packet between silo <paramref name="index"/> and the other silos. With
    /// <paramref name="keepPostgres"/> it still reaches the host (PostgreSQL and the clients); without, it reaches nothing.
    /// </summary>
    public void CutOff(int index, bool keepPostgres)
    {
        if (keepPostgres)
        {
            foreach (var other in Enumerable.Range(0, silos).Where(o => o != index))
            {
                InNamespace(index, "iptables", "-A", "INPUT", "-s", SiloAddress(other), "-j", "DROP");
                InNamespace(index, "iptables", "-A", "OUTPUT", "-d", SiloAddress(other), "-j", "DROP");
            }
        }
        else
        {
            InNamespace(index, "iptables", "-A", "INPUT", "-i", SiloSide(index), "-j", "DROP");
            InNamespace(index, "iptables", "-A", "OUTPUT", "-o", SiloSide(index), "-j", "DROP");
        }
    }

    public void Heal(int index) => InNamespace(index, "iptables", "-F");

    public async ValueTask DisposeAsync()
    {
        RemoveLeftovers();
        if (_postgresListening)
        {
            await postgres.ListenOnLoopbackOnlyAsync();
        }
    }

    private void RemoveLeftovers()
    {
        for (var i = 0; i < silos; i++)
        {
            TryRun("ip", "netns", "del", Namespace(i));
        }

        TryRun("ip", "link", "del", Bridge);
    }

    private static void InNamespace(int index, params string[] command) => Run(["ip", "netns", "exec", Namespace(index), .. command]);

    private static void Run(params string[] command)
    {
        var (exitCode, output) = Execute(command);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', command)}` failed ({exitCode}): {output.Trim()}");
        }
    }

    private static void TryRun(params string[] command) => Execute(command);

    private static (int ExitCode, string Output) Execute(string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
