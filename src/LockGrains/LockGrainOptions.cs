using Microsoft.Extensions.Options;

namespace LockService.Grains;

/// <summary>Settings of the lock grains on a silo.</summary>
public sealed class LockGrainOptions
{
    /// <summary>Longest lease a caller may ask for. Default 24 hours.</summary>
    public TimeSpan MaxLeaseDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How often the housekeeping reminder of a held lock fires to reap an expired lease. At least Orleans'
    /// minimum reminder period (1 minute by default). Correctness never depends on it: expiry is checked on every call.
    /// </summary>
    public TimeSpan ReaperPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most callers that may wait for one lock at a time; the next one is refused at once. Default 10,000.</summary>
    public int MaxWaiters { get; set; } = 10_000;

    /// <summary>
    /// While callers wait for a held lock, how often at most the grain re-checks the lease, so an expired holder's
    /// waiters are served promptly. The check is in memory; nothing is written unless the lease has ended.
    /// </summary>
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a release by the holder of a lease granted by lease id, with nobody waiting, may live only in memory
    /// before it is written; the next grant writes it anyway. Saves one durable write per acquire+release pair of a
    /// busy lock. If the silo dies in that window, storage still names the released lease, so the lock is granted again
    /// only when that lease ends: a delay, never a second holder. Zero writes every release at once. Default 5 seconds.
    /// </summary>
    /// <remarks>
    /// <para>On by default since locks have lease ids (issue #13). The safety argument never depended on them and is
    /// unchanged (LockGrain.LazyRelease.cs; LazyReleaseSiloKillTests kills a silo holding an unwritten release): storage
    /// lags memory only by releases, never by grants, so a reader of storage sees at worst the releaser still holding
    /// and refuses everyone until that lease's end, and a release does not change the token, so the next grant from
    /// any view writes token + 1 against the ETag of the last durable write (a stale view fails closed). Two holders
    /// cannot overlap and a token cannot go backwards, after a crash or otherwise.</para>
    /// <para>What kept it opt-in was a surprise, not a hazard: an owner reusing its name after such a crash found its
    /// released lease again (<see cref="LockService.LockOutcome.Renewed"/>, old token). A lease id is presented only by
    /// its holder, which never presents it again after releasing, so that cannot happen by accident any more; and the
    /// delay applies only to leases granted by lease id, so the owner calls (the card's TryAcquire(owner, ttl),
    /// <c>lockctl acquire</c> with a fixed <c>--owner</c>) still write their releases at once and never see it. What
    /// a user of the defaults pays is the delay: after a silo crash (not a graceful stop, which writes the release),
    /// a lock released less than this long before is free again when the released lease would have ended, at most one
    /// TTL later, as if its holder had crashed instead of releasing.</para>
    /// </remarks>
    public TimeSpan ReleaseWriteDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a lock grain may sit idle before Orleans deactivates it and its memory can be reclaimed; its state is
    /// in storage, so the next call simply loads it again. Must exceed Orleans' collection quantum (1 minute by
    /// default). Unset: Orleans' general collection age (15 minutes by default).
    /// </summary>
    public TimeSpan? IdleDeactivationAge { get; set; }

    /// <summary>
    /// The largest limit a semaphore may have (its <c>maxCount</c>); a larger one is refused as bad input. Bounds the
    /// size of one semaphore's stored record. Default <see cref="SemaphoreArguments.DefaultMaxCountCap"/>.
    /// </summary>
    public int MaxSemaphoreCount { get; set; } = SemaphoreArguments.DefaultMaxCountCap;
}

/// <summary>Rejects settings that would make the lock grains unsafe or unusable, at silo start.</summary>
public sealed class LockGrainOptionsValidator : IValidateOptions<LockGrainOptions>
{
    public ValidateOptionsResult Validate(string? name, LockGrainOptions options)
    {
        var failures = new List<string>();
        if (options.MaxLeaseDuration <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(LockGrainOptions.MaxLeaseDuration)} must be positive (was {options.MaxLeaseDuration}).");
        }

        if (options.MaxLeaseDuration > TimeSpan.FromDays(365))
        {
            failures.Add($"{nameof(LockGrainOptions.MaxLeaseDuration)} must be at most 365 days (was {options.MaxLeaseDuration}).");
        }

        if (options.ReaperPeriod <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(LockGrainOptions.ReaperPeriod)} must be positive (was {options.ReaperPeriod}).");
        }

        if (options.MaxWaiters < 0)
        {
            failures.Add($"{nameof(LockGrainOptions.MaxWaiters)} must not be negative (was {options.MaxWaiters}).");
        }

        if (options.ExpiryCheckInterval <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(LockGrainOptions.ExpiryCheckInterval)} must be positive (was {options.ExpiryCheckInterval}).");
        }

        if (options.ReleaseWriteDelay < TimeSpan.Zero || options.ReleaseWriteDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{nameof(LockGrainOptions.ReleaseWriteDelay)} must be from zero to 1 minute (was {options.ReleaseWriteDelay}).");
        }

        if (options.IdleDeactivationAge is { } idle && idle <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(LockGrainOptions.IdleDeactivationAge)} must be positive (was {idle}).");
        }

        if (options.MaxSemaphoreCount < 1 || options.MaxSemaphoreCount > 1_000_000)
        {
            failures.Add($"{nameof(LockGrainOptions.MaxSemaphoreCount)} must be from 1 to 1,000,000 (was {options.MaxSemaphoreCount}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
