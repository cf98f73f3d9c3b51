using System.Net.NetworkInformation;

namespace LockService.Silo;

/// <summary>
/// Refuses ports another process already listens on. Orleans listens with .NET's <c>ReuseAddress</c>, which on Linux
/// is <c>SO_REUSEPORT</c>: a second silo started on a port in use binds it too, without an error, and the kernel then
/// splits incoming connections between the two processes. Clients and silos of one cluster would reach the other
/// one's silo, and their calls would time out with nothing in either log to say why. Checked once before the silo
/// starts; this catches a second cluster on the same ports or a silo restarted on a port someone else took meanwhile.
/// </summary>
public static class PortOwnership
{
    /// <summary>The ports among <paramref name="ports"/> that some process on this machine is listening on.</summary>
    public static IReadOnlyList<int> FindListenedOn(params int[] ports)
    {
        try
        {
            var listening = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(endpoint => endpoint.Port).ToHashSet();
            return ports.Where(listening.Contains).Distinct().ToArray();
        }
        catch (PlatformNotSupportedException)
        {
            // A platform that cannot list listeners: Orleans' own bind is all that is left to catch a taken port.
            return [];
        }
    }
}
