namespace LockService;

/// <summary>The rules for a semaphore's limit, beside <see cref="LockArguments"/> (name, owner, TTL) and <see cref="LeaseIds"/>.</summary>
public static class SemaphoreArguments
{
    /// <summary>The silo's default cap on a semaphore's limit (<c>LockGrainOptions.MaxSemaphoreCount</c> changes it).</summary>
    public const int DefaultMaxCountCap = 10_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 &lt;= <paramref name="maxCount"/> &lt;= <paramref name="cap"/>.</summary>
    public static void ValidateMaxCount(int maxCount, int cap = DefaultMaxCountCap)
    {
        if (maxCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount, $"Invalid max count: a semaphore's limit must be at least 1 (was {maxCount}).");
        }

        if (maxCount > cap)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount, $"Invalid max count: a semaphore's limit must be at most the configured cap {cap} (was {maxCount}).");
        }
    }
}
