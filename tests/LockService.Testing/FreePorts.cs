using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace LockService.Testing;

/// <summary>
/// Ports for silo processes. Each port is handed out at most once per test process, from a range nothing else on the
/// machine picks from, because a silo is killed and restarted on its own ports: while it is down its ports look free,
/// and a port the OS picked for another test's silo in that gap would be bound twice once the silo is back (Orleans
/// listens with SO_REUSEPORT, so both binds succeed and connections are split between two clusters). The range lies
/// below Linux's ephemeral ports (32768–60999: outgoing connections and port-0 binds), clear of TestCluster's ranges
/// (22300–30000, 40000–50000), PostgreSQL's test ports (20000–29999) and scripts/cluster.sh's (11111+, 30001+).
/// </summary>
public static class FreePorts
{
    private const int First = 12000;
    private const int Last = 19999;

    private static readonly Lock Gate = new();

    // A random start keeps two test processes on one machine (two worktrees, say) from walking the same ports.
    private static int _next = Random.Shared.Next(First, Last + 1);

    /// <summary>Ports nobody listens on or has bound right now, distinct from each other and from any handed out before.</summary>
    public static int[] Take(int count)
    {
        lock (Gate)
        {
            var ports = new int[count];
            for (var i = 0; i < count; i++)
            {
                ports[i] = NextFree();
            }

            return ports;
        }
    }

    private static int NextFree()
    {
        var listening = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(endpoint => endpoint.Port).ToHashSet();
        for (var tried = 0; tried <= Last - First; tried++)
        {
            var port = _next;
            _next = port == Last ? First : port + 1;
            if (!listening.Contains(port) && CanBind(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free TCP port left between {First} and {Last}.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
