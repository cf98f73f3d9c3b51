using System.Security.Cryptography;
using System.Text;

namespace LockService.Leases;

/// <summary>
/// The stored form of a lease id: its SHA-256, hex. The silo never stores or logs a lease id itself, so a database
/// dump or a log line cannot be replayed to refresh or release somebody else's lease.
/// </summary>
/// <remarks>
/// A grain may keep the hash in memory as its 32 bytes (<see cref="BytesOf"/>, compared with
/// <see cref="Matches(string, byte[])"/>) and write the hex form only to storage: the bytes take a third of the hex
/// string's memory, and a comparison then hashes into a stack buffer instead of making two strings.
/// </remarks>
public static class LeaseIdHash
{
    /// <summary>Bytes of a SHA-256 hash.</summary>
    public const int Length = 32;

    // A valid lease id is at most LeaseIds.MaxLength (128) URL-safe characters, so its UTF-8 fits this on the stack.
    private const int StackLimit = 512;

    /// <summary>The hash of <paramref name="leaseId"/> (64 lowercase hex characters). Validate the id first.</summary>
    public static string Of(string leaseId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(leaseId)));

    /// <summary>The hash of <paramref name="leaseId"/> as its 32 bytes (the same hash as <see cref="Of"/>). Validate the id first.</summary>
    public static byte[] BytesOf(string leaseId) => SHA256.HashData(Encoding.UTF8.GetBytes(leaseId));

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
    /// Whether <paramref name="leaseId"/> hashes to <paramref name="storedHash"/> (bytes, from <see cref="BytesOf"/>),
    /// compared in constant time.
    /// </summary>
    public static bool Matches(string leaseId, byte[]? storedHash)
    {
        if (storedHash is null)
        {
            return false;
        }

        var byteCount = Encoding.UTF8.GetByteCount(leaseId);
        Span<byte> utf8 = byteCount <= StackLimit ? stackalloc byte[StackLimit] : new byte[byteCount];
        var written = Encoding.UTF8.GetBytes(leaseId, utf8);
        Span<byte> presented = stackalloc byte[Length];
        SHA256.HashData(utf8[..written], presented);
        return CryptographicOperations.FixedTimeEquals(presented, storedHash);
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
