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
    /// How long a release by the holder, with nobody waiting, may live only in memory before it is written; the next
    /// grant writes it anyway. Saves one durable write per acquire+release pair of a busy lock. If the silo dies in
    /// that window, storage still names the releaser, so the lock is granted again only when that lease ends: a
    /// delay, never a second holder. Zero (the default) writes every release at once.
    /// </summary>
    /// <remarks>
    /// Off by default: a lost release is visible to its own owner. An owner that reuses its name (a fixed
    /// <c>--owner</c>, say) and acquires again after a silo died with its release unwritten finds its old lease
    /// still there and gets <see cref="LockOutcome.Renewed"/> with the old token instead of a new grant. That is safe
    /// (the same owner, the same token) but surprising, so it is an opt-in for hot locks whose owners are unique per
    /// acquisition, as the handle API's are. 5 seconds is a good value then.
    /// </remarks>
    public TimeSpan ReleaseWriteDelay { get; set; } = TimeSpan.Zero;

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
