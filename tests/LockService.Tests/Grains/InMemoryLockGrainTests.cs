using LockService.Testing;
using LockService.Tests.Infrastructure;
using Orleans.Storage;

namespace LockService.Tests.Grains;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemoryLockGrainTests(InMemoryClusterFixture fixture) : LockGrainTestCases<InMemoryClusterFixture>(fixture)
{
    [Fact]
    public async Task A_storage_failure_fails_the_grant_closed()
    {
        var name = LockNames.Unique("storage-failure");
        FaultInjectingGrainStorage.FailNextWrite(name, () => new TimeoutException("database unreachable"));

        var error = await Assert.ThrowsAsync<LockStorageException>(() => Lock(name).TryAcquire("server-1", Ttl));
        Assert.Contains("failed closed", error.Message);

        Assert.False((await Lock(name).Describe()).IsHeld);
        Assert.False((await Fixture.ReadStoredAsync(name)).Exists);
        var grant = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal(1, grant.FencingToken);
    }

    [Fact]
    public async Task A_storage_conflict_on_refresh_fails_closed_and_reloads()
    {
        var name = LockNames.Unique("conflict");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);
        FaultInjectingGrainStorage.FailNextWrite(name, () => new InconsistentStateException("etag mismatch"));

        Fixture.Clock.Advance(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<LockStorageException>(() => Lock(name).Refresh("server-1", grant.FencingToken, Ttl));
        Assert.Contains("storage conflict", error.Message);

        // The refused extension is not reported anywhere: the lease still ends when storage says it does.
        Assert.Equal(grant.ExpiresAt, (await Lock(name).Describe()).ExpiresAt);
        Assert.Equal(LockOutcome.Renewed, (await Lock(name).Refresh("server-1", grant.FencingToken, Ttl)).Outcome);
    }
}
