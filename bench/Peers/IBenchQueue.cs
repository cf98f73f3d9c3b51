namespace LockService.Bench.Peers;

/// <summary>
/// One work queue peer of the queue scenario (issue 14): tasks claimed by one worker each and completed once. The
/// scenario fills it, and 32 workers claim and complete with no work in between.
/// </summary>
internal interface IBenchQueue : IAsyncDisposable
{
    /// <summary>The peer's name in the results: <c>pg-skip-held</c>, <c>pg-skip-leased</c> or <c>orleans-3</c>.</summary>
    string Name { get; }

    /// <summary>Every setting that shapes the peer's figures, for the run's record.</summary>
    IReadOnlyDictionary<string, string> Configuration { get; }

    /// <summary>Starts from an empty queue (a fresh one) holding <paramref name="pending"/> pending tasks.</summary>
    Task FillAsync(int pending);

    /// <summary>Claims the oldest pending task; <see langword="null"/> when none is pending.</summary>
    Task<IBenchTaskClaim?> ClaimAsync();

    /// <summary>
    /// Bytes of grain storage written so far for the current queue (PostgreSQL's own record: each row's version times
    /// its size), or <see langword="null"/> for a peer without grain storage.
    /// </summary>
    Task<long?> StorageBytesWrittenAsync();
}

/// <summary>One claimed task of an <see cref="IBenchQueue"/>.</summary>
internal interface IBenchTaskClaim
{
    /// <summary>The task's id in its queue.</summary>
    string TaskId { get; }

    /// <summary>Completes the task; <see langword="false"/> when the queue refused (the claim was not current).</summary>
    Task<bool> CompleteAsync();
}
