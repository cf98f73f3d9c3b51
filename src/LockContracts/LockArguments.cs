namespace LockService;

/// <summary>
/// The rules for lock names, owners and lease lengths. The silo enforces them on every call; the client library
/// checks them early so a mistake is reported before any network hop.
/// </summary>
public static class LockArguments
{
    /// <summary>Longest accepted lock name or owner, in UTF-16 characters.</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// Longest single wait call. Longer waits are made of several calls (the client library does this), so a
    /// response is never held open for longer than the call's response timeout allows.
    /// </summary>
    public static readonly TimeSpan MaxWaitPerCall = TimeSpan.FromMinutes(30);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 &lt;= <paramref name="timeout"/> &lt;= <see cref="MaxWaitPerCall"/>.</summary>
    public static void ValidateWait(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero || timeout > MaxWaitPerCall)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Invalid timeout: a single wait must be between 0 and {MaxWaitPerCall} (was {timeout}).");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the broken rule when <paramref name="name"/> is not a valid lock name.</summary>
    public static void ValidateName(string? name) => ValidateIdentifier(name, "lock name", "name");

    /// <summary>Throws <see cref="ArgumentException"/> naming the broken rule when <paramref name="owner"/> is not a valid owner.</summary>
    public static void ValidateOwner(string? owner) => ValidateIdentifier(owner, "owner", "owner");

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 &lt; <paramref name="ttl"/> &lt;= <paramref name="maximum"/>.</summary>
    public static void ValidateTtl(TimeSpan ttl, TimeSpan maximum)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid ttl: the lease TTL must be positive (was {ttl}).");
        }

        if (ttl > maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid ttl: the lease TTL must be at most the configured maximum {maximum} (was {ttl}).");
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming <paramref name="what"/> and the broken rule unless
    /// <paramref name="value"/> follows the rules of a name (not blank, at most <see cref="MaxLength"/> characters, no
    /// NUL, valid UTF-16): for the other primitives' names (a queue, a worker, a task key).
    /// </summary>
    public static void ValidateIdentifier(string? value, string what, string parameter)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"Invalid {what}: it must not be empty or whitespace.", parameter);
        }

        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"Invalid {what}: it must be at most {MaxLength} characters (was {value.Length}).", parameter);
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                throw new ArgumentException($"Invalid {what}: it must not contain NUL characters (found at index {i}).", parameter);
            }

            // Orleans carries strings as UTF-8, which turns an unpaired surrogate into U+FFFD on the way. Rejecting
            // both keeps two different client strings from silently naming the same lock or owner.
            if (c == '\uFFFD')
            {
                throw new ArgumentException($"Invalid {what}: it must be valid UTF-16 text; found U+FFFD at index {i} (an unpaired surrogate is replaced by U+FFFD in transit).", parameter);
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw new ArgumentException($"Invalid {what}: it must be valid UTF-16 text; found an unpaired surrogate at index {i}.", parameter);
            }
        }
    }
}
