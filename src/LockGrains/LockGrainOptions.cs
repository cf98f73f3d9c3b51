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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
