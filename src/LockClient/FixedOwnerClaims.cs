using System.Collections.Concurrent;

namespace LockService.Client;

/// <summary>
/// Which locks this process is acquiring or holding under a fixed <see cref="LockOptions.Owner"/>. Each acquisition has
/// its own lease id, so the lock would only answer a second one Busy (or queue it behind the first, in this very
/// process, until the first is disposed); one claim per lock and owner refuses it at once with the reason instead.
/// </summary>
internal static class FixedOwnerClaims
{
    private static readonly ConcurrentDictionary<(string Lock, string Owner), Claim> Claims = new();

    /// <summary>Claims the pair, or throws naming the rule when a handle or acquisition of this process has it.</summary>
    public static Claim Take(string lockName, string owner)
    {
        var claim = new Claim(lockName, owner);
        if (!Claims.TryAdd((lockName, owner), claim))
        {
            throw new InvalidOperationException(
                $"Lock '{lockName}' is already held or being acquired in this process by owner '{owner}': a fixed Owner allows one acquisition of a lock at a time, since two handles would share one lease. Dispose the first handle first, or leave LockOptions.Owner unset.");
        }

        return claim;
    }

    /// <summary>One lock and owner pair in use; disposing it (once) frees the pair.</summary>
    internal sealed class Claim(string lockName, string owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Claims.TryRemove(new KeyValuePair<(string, string), Claim>((lockName, owner), this));
            }
        }
    }
}
