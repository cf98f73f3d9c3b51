namespace LockService.Client;

/// <summary>Lease settings of one lock object, from <see cref="ILockProvider.CreateLock"/>.</summary>
public sealed class LockOptions
{
    /// <summary>Lease length. The lease is renewed in the background while the handle lives. Default 30 seconds.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the handle renews its lease; default a third of <see cref="Ttl"/>. Must be shorter than <see cref="Ttl"/>.</summary>
    public TimeSpan? RenewInterval { get; init; }

    /// <summary>
    /// When set, renewal stops this long after acquisition: the lease then runs out and <see cref="LockHandle.HandleLostToken"/>
    /// fires, so a stuck job cannot hold a lock forever.
    /// </summary>
    public TimeSpan? MaxHoldTime { get; init; }

    /// <summary>
    /// Owner to acquire as. By default every acquisition gets an owner of its own (host, process id, random part and a
    /// sequence number), so two acquisitions are never mistaken for one. With a fixed owner, acquiring again while
    /// holding renews the same lease (re-entry), as the lock grain defines.
    /// </summary>
    public string? Owner { get; init; }

    internal TimeSpan EffectiveRenewInterval => RenewInterval ?? Ttl / 3;

    internal void Validate()
    {
        if (Ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, $"Invalid Ttl: the lease TTL must be positive (was {Ttl}).");
        }

        if (EffectiveRenewInterval <= TimeSpan.Zero || EffectiveRenewInterval >= Ttl)
        {
            throw new ArgumentOutOfRangeException(nameof(RenewInterval), RenewInterval, $"Invalid RenewInterval: it must be positive and shorter than the TTL {Ttl} (was {EffectiveRenewInterval}).");
        }

        if (MaxHoldTime is { } maxHold && maxHold <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxHoldTime), MaxHoldTime, $"Invalid MaxHoldTime: it must be positive (was {maxHold}).");
        }

        if (Owner is not null)
        {
            LockArguments.ValidateOwner(Owner);
        }
    }
}
