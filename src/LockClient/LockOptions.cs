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
    /// How long before the local lease deadline (send time of the last confirmed renewal + <see cref="Ttl"/>)
    /// <see cref="LockHandle.HandleLostToken"/> fires, so that clock-rate drift, timer lateness and a slow reaction to
    /// the token cannot take the holder past the end of the server's lease. Default: a tenth of <see cref="Ttl"/>
    /// (DistributedLock.Redis likewise counts a lease only with 90 % of its validity left), at most half the time
    /// between a renewal and the deadline. Must be positive and at most half of <see cref="Ttl"/> minus
    /// <see cref="RenewInterval"/>, so a renewal always has time to land before the margin starts.
    /// </summary>
    public TimeSpan? SafetyMargin { get; init; }

    /// <summary>
    /// Owner to acquire as. By default every acquisition gets an owner of its own (host, process id, random part and a
    /// sequence number), so two acquisitions are never mistaken for one. A fixed owner allows one acquisition of a
    /// given lock at a time in this process: while a handle of it lives (or an acquisition is under way), another
    /// acquisition of the same lock as the same owner throws <see cref="InvalidOperationException"/>, because the two
    /// handles would share one lease and releasing either would end the other's. Dispose the first handle first.
    /// </summary>
    public string? Owner { get; init; }

    internal TimeSpan EffectiveRenewInterval => RenewInterval ?? Ttl / 3;

    internal TimeSpan EffectiveSafetyMargin => SafetyMargin ?? TimeSpan.FromTicks(Math.Min(Ttl.Ticks / 10, MaximumSafetyMargin.Ticks));

    private TimeSpan MaximumSafetyMargin => (Ttl - EffectiveRenewInterval) / 2;

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

        if (SafetyMargin is { } margin && (margin <= TimeSpan.Zero || margin > MaximumSafetyMargin))
        {
            throw new ArgumentOutOfRangeException(nameof(SafetyMargin), SafetyMargin, $"Invalid SafetyMargin: it must be positive and at most half of Ttl minus RenewInterval ({MaximumSafetyMargin}), so a renewal can land before it starts (was {margin}).");
        }

        if (Owner is not null)
        {
            LockArguments.ValidateOwner(Owner);
        }
    }
}
