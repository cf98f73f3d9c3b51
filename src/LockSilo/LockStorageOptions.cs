using LockService.Storage;

namespace LockService.Silo;

/// <summary>
/// How a durable silo writes lock state (configuration section <c>Storage</c>, e.g. <c>LOCKSILO_Storage__BatchWrites</c>
/// or <c>--Storage:BatchWrites false</c>).
/// </summary>
public sealed class LockStorageOptions
{
    /// <summary>
    /// Writes that are ready at the same moment share one round trip and one commit (<see cref="BatchedGrainStorage"/>).
    /// On by default; false writes each grain's state on its own, with Orleans' stock ADO.NET grain storage. Both write
    /// the same rows, so a cluster can switch either way across a restart.
    /// </summary>
    public bool BatchWrites { get; set; } = true;

    /// <summary>With <see cref="BatchWrites"/>: commits in flight at once per silo (<see cref="BatchedGrainStorageOptions.MaxBatchesInFlight"/>).</summary>
    public int MaxBatchesInFlight { get; set; } = BatchedGrainStorageOptions.DefaultMaxBatchesInFlight;

    /// <summary>With <see cref="BatchWrites"/>: the most writes one commit carries (<see cref="BatchedGrainStorageOptions.MaxBatchSize"/>).</summary>
    public int MaxBatchSize { get; set; } = BatchedGrainStorageOptions.DefaultMaxBatchSize;

    /// <summary>The batching settings these options ask for.</summary>
    public BatchedGrainStorageOptions Batching() => new() { MaxBatchesInFlight = MaxBatchesInFlight, MaxBatchSize = MaxBatchSize };
}
