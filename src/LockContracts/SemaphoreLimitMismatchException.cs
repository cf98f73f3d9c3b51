namespace LockService;

/// <summary>
/// A caller asked a semaphore for a grant with a limit other than the one stored at its first grant (or set by an
/// operator with <see cref="ISemaphoreGrain.SetLimit"/>). Nothing changed. Consul rejects such a mismatch too; every
/// client of one name must agree on its limit, or the limit means nothing.
/// </summary>
[GenerateSerializer, Alias("LockService.SemaphoreLimitMismatchException")]
public sealed class SemaphoreLimitMismatchException : Exception
{
    /// <summary>Creates the exception; the message names the semaphore and both limits.</summary>
    public SemaphoreLimitMismatchException(string semaphoreName, int storedMaxCount, int requestedMaxCount)
        : base($"Semaphore '{semaphoreName}' has the limit {storedMaxCount}; this call asked for {requestedMaxCount}. Every client of one semaphore must use the same limit (an operator changes it with SetLimit / 'lockctl semaphore set-limit').")
    {
        SemaphoreName = semaphoreName;
        StoredMaxCount = storedMaxCount;
        RequestedMaxCount = requestedMaxCount;
    }

    /// <summary>The semaphore's name.</summary>
    [Id(0)]
    public string SemaphoreName { get; }

    /// <summary>The limit the semaphore has.</summary>
    [Id(1)]
    public int StoredMaxCount { get; }

    /// <summary>The limit the call asked for.</summary>
    [Id(2)]
    public int RequestedMaxCount { get; }
}
