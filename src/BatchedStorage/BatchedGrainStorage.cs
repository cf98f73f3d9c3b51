using System.Globalization;
using System.Text;
using Orleans.Storage;

namespace LockService.Storage;

/// <summary>
/// Orleans' ADO.NET grain storage on PostgreSQL with shared commits: writes go through a <see cref="GroupCommitter"/>,
/// many grains per round trip and commit; reads and clears are the stock provider's own calls.
/// </summary>
/// <remarks>
/// A write is the stock provider's write, statement for statement: the WriteToStorageKey query text the stock provider
/// loaded from OrleansQuery (so sql/005's version wrap and conflict rules hold), its hasher, its serializer, the same
/// key columns (<see cref="StorageRowKey"/>) and its conflict verdict (<see cref="VersionCheck"/>). Rows written here
/// and rows written by the stock provider are the same rows, readable and writable by either with the same ETags.
/// </remarks>
public sealed class BatchedGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly AdoNetGrainStorage _stock;
    private readonly GroupCommitter _committer;
    private readonly string _providerName;
    private readonly string _serviceId;

    internal BatchedGrainStorage(AdoNetGrainStorage stock, GroupCommitter committer, string providerName, string serviceId)
    {
        _stock = stock;
        _committer = committer;
        _providerName = providerName;
        _serviceId = serviceId;
    }

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => _stock.ReadStateAsync(stateName, grainId, grainState);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (stateName.Contains('`'))
        {
            // A generic type's name, which the stock provider normalizes first; no lease primitive's state name is one.
            await _stock.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
            return;
        }

        var queries = _stock.CurrentOperationalQueries ?? throw new InvalidOperationException($"Grain storage '{_providerName}' is not initialized yet.");
        var key = StorageRowKey.Of(grainId);
        var hasher = _stock.HashPicker.PickHasher(_serviceId, _providerName, stateName, grainId, grainState)!;
        var write = new StorageWrite
        {
            QueryText = queries.WriteToStorage,
            Row = (stateName, grainId),
            GrainIdHash = hasher.Hash(key.HashBytes()),
            Key = key,
            GrainTypeHash = hasher.Hash(Encoding.UTF8.GetBytes(stateName)),
            GrainTypeString = stateName,
            ServiceId = _serviceId,
            Version = string.IsNullOrWhiteSpace(grainState.ETag) ? null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture),
            Payload = _stock.Serializer.Serialize(grainState.State).ToArray(),
        };

        var storageVersion = await _committer.WriteAsync(write).ConfigureAwait(false);
        if (VersionCheck.Conflict(storageVersion, grainState.ETag, _serviceId, _providerName, stateName, key) is { } conflict)
        {
            throw conflict;
        }

        grainState.ETag = storageVersion;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => _stock.ClearStateAsync(stateName, grainId, grainState);

    /// <summary>The stock provider initializes (loads the query texts) with the silo, as it would on its own.</summary>
    public void Participate(ISiloLifecycle lifecycle) => _stock.Participate(lifecycle);
}
