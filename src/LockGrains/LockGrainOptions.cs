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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
