using Orleans.Storage;

namespace LockService.Storage;

/// <summary>
/// The stock ADO.NET provider's verdict on a write's result (its private <c>CheckVersionInconsistency</c>, 10.4.2), so
/// a batched write fails in exactly the cases, and with the exception, the stock provider's would.
/// </summary>
internal static class VersionCheck
{
    /// <summary>
    /// <see cref="InconsistentStateException"/> when nothing was written: the version did not move, the statement
    /// returned NULL (<c>""</c>), or no row although the grain had an ETag; otherwise <see langword="null"/>.
    /// </summary>
    public static InconsistentStateException? Conflict(string? storageVersion, string? etag, string serviceId, string providerName, string grainType, StorageRowKey key)
    {
        if (storageVersion == etag || storageVersion == string.Empty || (storageVersion is null && etag is not null))
        {
            return new InconsistentStateException(
                $"Version conflict (WriteState): ServiceId={serviceId} ProviderName={providerName} GrainType={grainType} GrainId={key} ETag={etag}.");
        }

        return null;
    }
}
