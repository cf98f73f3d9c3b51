using LockService.Leases;

namespace LockService.Grains;

/// <summary>
/// The grain id under which a lock's state is stored: its name, with braces escaped (see <see cref="StorageKeys"/>,
/// shared by every primitive, for why).
/// </summary>
public static class LockStorageKeys
{
    /// <summary>The storage id of lock <paramref name="lockName"/>.</summary>
    public static GrainId For(string lockName) => StorageKeys.For("lock", lockName);

    /// <summary>
    /// Where a name with braces was stored before its key was escaped (a row may exist there, its fencing token
    /// included), or <see langword="null"/> for a name whose key never changed.
    /// </summary>
    public static GrainId? FormerFor(string lockName) => StorageKeys.FormerFor("lock", lockName);
}
