using System.Security.Cryptography;

namespace LockService.Cli;

/// <summary>
/// The owner identity lockctl acquires as when none is given: <c>NODE:pid:random</c>. The host name alone would make
/// every script on one host the same owner, so a second one would be answered <c>Renewed</c> instead of refused.
/// </summary>
internal static class DefaultOwner
{
    /// <summary>A new owner identity unique to this process, named after <paramref name="node"/> or the host.</summary>
    public static string Create(string? node = null) =>
        $"{node ?? Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}
