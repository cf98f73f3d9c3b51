using Microsoft.Extensions.Options;

namespace LockService.Queues;

/// <summary>
/// Settings of the work-queue grains on a silo. Lease lengths, the expiry check interval, the reaper period and the
/// bound on waiting callers are the lock grains' (<see cref="Grains.LockGrainOptions"/>).
/// </summary>
public sealed class WorkQueueOptions
{
    /// <summary>The default <see cref="SegmentCapacity"/> (docs/work-queue.md shows why).</summary>
    public const int DefaultSegmentCapacity = 256;

    /// <summary>
    /// Most tasks in one segment. A claim rewrites its segment's whole leases record (tens of bytes per task ever
    /// claimed in it), so this bounds the bytes a claim writes, whatever the queue's length. Applies to segments opened
    /// from then on; an existing segment keeps the capacity it was opened with.
    /// </summary>
    public int SegmentCapacity { get; set; } = DefaultSegmentCapacity;

    /// <summary>How many claims a task gets before it goes dead (the last one's error is kept). Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;
}

/// <summary>Rejects work-queue settings that would make the queue unusable, at silo start.</summary>
public sealed class WorkQueueOptionsValidator : IValidateOptions<WorkQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkQueueOptions options)
    {
        var failures = new List<string>();
        if (options.SegmentCapacity < 1 || options.SegmentCapacity > 10_000)
        {
            failures.Add($"{nameof(WorkQueueOptions.SegmentCapacity)} must be from 1 to 10,000 (was {options.SegmentCapacity}).");
        }

        if (options.MaxAttempts < 1 || options.MaxAttempts > 1_000)
        {
            failures.Add($"{nameof(WorkQueueOptions.MaxAttempts)} must be from 1 to 1,000 (was {options.MaxAttempts}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
