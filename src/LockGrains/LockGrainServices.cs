namespace LockService.Grains;

/// <summary>Names shared between the lock grain and the silo that hosts it.</summary>
public static class LockGrainServices
{
    /// <summary>The grain storage provider that holds lock state.</summary>
    public const string StorageProviderName = "locks";

    /// <summary>The state name lock records are stored under (part of each stored row's identity).</summary>
    public const string StateName = "lock";

    /// <summary>
    /// Service key of the <see cref="TimeProvider"/> that decides lease expiry. Keyed so tests and the chaos suite can
    /// move the lock clock without moving the clock the Orleans runtime itself uses.
    /// </summary>
    public const string ClockKey = "locks";
}
