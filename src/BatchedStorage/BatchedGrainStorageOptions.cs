using Microsoft.Extensions.Options;

namespace LockService.Storage;

/// <summary>How a batched grain storage shares commits between grains.</summary>
public sealed class BatchedGrainStorageOptions
{
    /// <summary>Default of <see cref="MaxBatchesInFlight"/>.</summary>
    public const int DefaultMaxBatchesInFlight = 4;

    /// <summary>Default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 64;

    /// <summary>
    /// How many commits may be on their way to PostgreSQL at once. A write that finds fewer in flight is sent at once,
    /// alone if need be (no added latency when the silo is quiet); writes that arrive while this many are in flight
    /// wait and leave together with the next one. Default 4: enough to keep the database's cores and its WAL flush
    /// busy, few enough that writes pile up into shared commits under load.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = DefaultMaxBatchesInFlight;

    /// <summary>The most writes one commit carries (default 64); more waiting writes go in the next one.</summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>What is wrong with these settings, one sentence per rule broken; empty when they are valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (MaxBatchesInFlight is < 1 or > 64)
        {
            yield return $"MaxBatchesInFlight must be between 1 and 64 (was {MaxBatchesInFlight}).";
        }

        if (MaxBatchSize is < 1 or > 1000)
        {
            yield return $"MaxBatchSize must be between 1 and 1000 (was {MaxBatchSize}).";
        }
    }
}

/// <summary>Fails the silo start, naming the rule, when <see cref="BatchedGrainStorageOptions"/> are out of range.</summary>
public sealed class BatchedGrainStorageOptionsValidator : IValidateOptions<BatchedGrainStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BatchedGrainStorageOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
