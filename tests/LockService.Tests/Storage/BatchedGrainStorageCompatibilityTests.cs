using LockService.Grains;
using LockService.Semaphores;
using LockService.Storage;
using LockService.Tests.Infrastructure;
using Orleans.Storage;

namespace LockService.Tests.Storage;

/// <summary>
/// The batched grain storage and Orleans' stock ADO.NET grain storage write the same rows, on real PostgreSQL: every
/// column of a row (hashes, key columns, type, service id, payload bytes, version) is the same whichever wrote it, each
/// reads what the other wrote, and an ETag from one carries on in the other. So the data of a cluster that switches
/// batching on or off (or back to the stock provider) is never stranded.
/// </summary>
public sealed class BatchedGrainStorageCompatibilityTests(BatchedStorageFixture fixture) : IClassFixture<BatchedStorageFixture>
{
    // How the stock provider files a key (AdoGrainKey): a string, an integer (a key that parses as hex), a Guid, a
    // Guid with a key extension; and a string key beyond ASCII.
    public static TheoryData<string> KeyStyles => new() { "string", "integer", "guid", "guid+extension", "non-ascii" };

    [Theory]
    [MemberData(nameof(KeyStyles))]
    public async Task A_lock_row_is_the_same_row_whichever_provider_wrote_it_and_its_ETag_carries_on_in_the_other(string keyStyle)
    {
        var id = LockStorageKeys.For(NameIn(keyStyle));
        var marker = $"holder-{Guid.NewGuid():N}";
        await AssertSameRowAndCarriedETagsAsync(LockGrainServices.StateName, id, marker, token => new LockState
        {
            Holder = marker,
            LastHolder = marker,
            FencingToken = token,
            LeaseIdHash = new string('a', 64),
            LeaseIdOnly = true,
            AcquiredAt = DateTimeOffset.UnixEpoch,
            ExpiresAt = DateTimeOffset.UnixEpoch.AddMinutes(token),
        }, state => state.FencingToken);
        AssertKeyStyle(keyStyle, (await fixture.RowAsync(marker))!);
    }

    [Theory]
    [MemberData(nameof(KeyStyles))]
    public async Task A_semaphore_row_is_the_same_row_whichever_provider_wrote_it_and_its_ETag_carries_on_in_the_other(string keyStyle)
    {
        var id = SemaphoreStorage.KeyFor(NameIn(keyStyle));
        var marker = $"owner-{Guid.NewGuid():N}";
        await AssertSameRowAndCarriedETagsAsync(SemaphoreStorage.StateName, id, marker, token => new SemaphoreState
        {
            MaxCount = 3,
            FencingToken = token,
            Leases =
            [
                new SemaphoreLease(0, marker, new string('b', 64), token, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(token)),
                new SemaphoreLease(2, "other", new string('c', 64), token - 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(1)),
            ],
        }, state => state.FencingToken);
        AssertKeyStyle(keyStyle, (await fixture.RowAsync(marker))!);
    }

    [Fact]
    public async Task What_a_lock_grain_granted_through_the_silos_batched_storage_the_stock_provider_reads()
    {
        var name = LockNames.Unique("compat-grain");
        var grant = await fixture.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", TimeSpan.FromMinutes(1));
        Assert.IsType<BatchedGrainStorage>(fixture.Locks);

        var read = new GrainState<LockState>(new LockState());
        await fixture.Stock.ReadStateAsync(LockGrainServices.StateName, LockStorageKeys.For(name), read);

        Assert.True(read.RecordExists);
        Assert.Equal(("server-1", grant.FencingToken), (read.State!.Holder, read.State.FencingToken));
        Assert.NotNull(read.ETag);
    }

    /// <summary>
    /// Stock writes first; the same state written by the batched path onto a fresh row gives every column equal; then
    /// the two take turns writing with each other's ETags, and a stale ETag is refused by both.
    /// </summary>
    private async Task AssertSameRowAndCarriedETagsAsync<T>(string stateName, GrainId id, string marker, Func<long, T> stateWithToken, Func<T, long> tokenOf)
        where T : class, new()
    {
        var byStock = new GrainState<T>(stateWithToken(1));
        await fixture.Stock.WriteStateAsync(stateName, id, byStock);
        var stockRow = await fixture.RowAsync(marker);
        Assert.NotNull(stockRow);

        Assert.Equal(1, await fixture.DeleteRowAsync(marker));
        var byBatched = new GrainState<T>(stateWithToken(1));
        await fixture.Batched.WriteStateAsync(stateName, id, byBatched);
        Assert.Equal(stockRow, await fixture.RowAsync(marker));
        Assert.Equal((byStock.ETag, true), (byBatched.ETag, byBatched.RecordExists));

        // The stock provider reads what the batched path wrote, and writes on from its ETag.
        var stockView = new GrainState<T>(new T());
        await fixture.Stock.ReadStateAsync(stateName, id, stockView);
        Assert.Equal((1L, byBatched.ETag, true), (tokenOf(stockView.State!), stockView.ETag, stockView.RecordExists));
        stockView.State = stateWithToken(2);
        await fixture.Stock.WriteStateAsync(stateName, id, stockView);

        // The batched path writes on from the stock provider's ETag.
        var batchedView = new GrainState<T>(new T()) { ETag = stockView.ETag, RecordExists = true };
        batchedView.State = stateWithToken(3);
        await fixture.Batched.WriteStateAsync(stateName, id, batchedView);

        // Both refuse the ETag the other has moved past, exactly alike.
        stockView.State = stateWithToken(4);
        var stockRefusal = await Assert.ThrowsAsync<InconsistentStateException>(() => fixture.Stock.WriteStateAsync(stateName, id, stockView));
        var stale = new GrainState<T>(stateWithToken(4)) { ETag = stockView.ETag, RecordExists = true };
        var batchedRefusal = await Assert.ThrowsAsync<InconsistentStateException>(() => fixture.Batched.WriteStateAsync(stateName, id, stale));
        Assert.Equal(stockRefusal.Message.Replace(BatchedStorageFixture.StockProvider, "?"), batchedRefusal.Message.Replace(BatchedStorageFixture.BatchedProvider, "?"));

        var final = new GrainState<T>(new T());
        await fixture.Stock.ReadStateAsync(stateName, id, final);
        Assert.Equal(3L, tokenOf(final.State!));
        Assert.Equal(batchedView.ETag, final.ETag);
        Assert.Equal("3", final.ETag);
    }

    private static string NameIn(string keyStyle) => keyStyle switch
    {
        "string" => $"compat-{Guid.NewGuid():N}",
        "integer" => $"{Random.Shared.NextInt64(1, long.MaxValue):x}",
        "guid" => Guid.NewGuid().ToString("N"),
        "guid+extension" => $"{Guid.NewGuid():N}+ext-{Guid.NewGuid():N}",
        "non-ascii" => $"zürich-øre-日本-{Guid.NewGuid():N}",
        _ => throw new ArgumentOutOfRangeException(nameof(keyStyle), keyStyle, "Unknown key style."),
    };

    // The test means what it says only if each style really is filed the way its name claims.
    private static void AssertKeyStyle(string keyStyle, StoredRow row)
    {
        switch (keyStyle)
        {
            case "integer":
                Assert.Equal((0L, null), (row.N0, row.Extension));
                Assert.NotEqual(0L, row.N1);
                break;
            case "guid":
                Assert.True(row.N0 != 0 || row.N1 != 0);
                Assert.Null(row.Extension);
                break;
            case "guid+extension":
                Assert.True(row.N0 != 0 || row.N1 != 0);
                Assert.StartsWith("ext-", row.Extension);
                break;
            default:
                Assert.Equal((0L, 0L), (row.N0, row.N1));
                Assert.NotNull(row.Extension);
                break;
        }
    }
}
