using System.Security.Cryptography;

namespace LockService;

/// <summary>
/// Lease ids: the secret that identifies one lease of a lock or semaphore. The client makes it, so a retry after an
/// unknown outcome (a lost answer) asks again with the same id and gets the same grant back, never a second one. The
/// silo stores only its SHA-256 hash and compares in constant time; status, listings and logs never show it. The
/// owner is a label for people.
/// </summary>
public static class LeaseIds
{
    /// <summary>Shortest accepted lease id: 22 base64url characters carry 128 bits.</summary>
    public const int MinLength = 22;

    /// <summary>Longest accepted lease id.</summary>
    public const int MaxLength = 128;

    /// <summary>A new lease id: 256 random bits from the operating system's CSPRNG, base64url without padding (43 characters).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the broken rule unless <paramref name="leaseId"/> is
    /// <see cref="MinLength"/> to <see cref="MaxLength"/> URL-safe characters (A–Z, a–z, 0–9, '-', '_', '.', '~').
    /// </summary>
    public static void Validate(string? leaseId)
    {
        if (string.IsNullOrEmpty(leaseId))
        {
            throw new ArgumentException("Invalid lease id: it must not be empty.", nameof(leaseId));
        }

        if (leaseId.Length > MaxLength)
        {
            throw new ArgumentException($"Invalid lease id: it must be at most {MaxLength} characters (was {leaseId.Length}).", nameof(leaseId));
        }

        if (leaseId.Length < MinLength)
        {
            throw new ArgumentException($"Invalid lease id: it must be at least {MinLength} characters, 128 random bits in base64url (was {leaseId.Length}); use LeaseIds.New().", nameof(leaseId));
        }

        for (var i = 0; i < leaseId.Length; i++)
        {
            var c = leaseId[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
            {
                throw new ArgumentException($"Invalid lease id: it must be URL-safe (A-Z, a-z, 0-9, '-', '_', '.', '~'); found '{(char.IsControl(c) ? '?' : c)}' (U+{(int)c:X4}) at index {i}.", nameof(leaseId));
            }
        }
    }
}
