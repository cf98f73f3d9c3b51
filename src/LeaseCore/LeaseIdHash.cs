using System.Security.Cryptography;
using System.Text;

namespace LockService.Leases;

/// <summary>
/// The stored form of a lease id: its SHA-256, hex. The silo never stores or logs a lease id itself, so a database
/// dump or a log line cannot be replayed to refresh or release somebody else's lease.
/// </summary>
public static class LeaseIdHash
{
    /// <summary>The hash of <paramref name="leaseId"/> (64 lowercase hex characters). Validate the id first.</summary>
    public static string Of(string leaseId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(leaseId)));

    /// <summary>
    /// Whether <paramref name="leaseId"/> hashes to <paramref name="storedHash"/>, compared in constant time so the
    /// answer's timing tells nothing about how much of a guess matched.
    /// </summary>
    public static bool Matches(string leaseId, string? storedHash)
    {
        if (storedHash is null)
        {
            return false;
        }

        return HashesMatch(Of(leaseId), storedHash);
    }

    /// <summary>
    /// Whether two hashes from <see cref="Of"/> are equal, compared in constant time: for a caller that looks one
    /// presented lease id up among many stored leases and hashes it once.
    /// </summary>
    public static bool HashesMatch(string presentedHash, string? storedHash)
    {
        if (storedHash is null)
        {
            return false;
        }

        var presented = Encoding.ASCII.GetBytes(presentedHash);
        var stored = Encoding.ASCII.GetBytes(storedHash);
        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
