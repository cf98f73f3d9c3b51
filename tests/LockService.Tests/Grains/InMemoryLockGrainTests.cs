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

    [Fact]
    public async Task A_same_owner_wait_during_an_unfinished_grant_write_is_never_answered_with_that_grant()
    {
        // The client's retried wait call, sent while the grant is still being written: it interleaves with the write
        // and reaches the grain before the write fails. The unwritten grant must not answer it.
        var name = LockNames.Unique("unwritten-grant");
        var (held, granting, retried) = await RetryDuringGrantWriteAsync(name);
        held.Fail(new TimeoutException("database unreachable"));

        await Assert.ThrowsAsync<LockStorageException>(() => granting);
        try
        {
            Assert.NotEqual(LockOutcome.Granted, (await retried).Outcome);
        }
        catch (LockStorageException)
        {
            // Failed closed (the queue's own grant to it hit the same outage): not a grant either.
        }

        held.Open();
        var next = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(1, next.FencingToken);
        var stored = (await Fixture.ReadStoredAsync(name)).State;
        Assert.Equal(("server-2", 1L), (stored.Holder, stored.FencingToken));
    }

    [Fact]
    public async Task A_same_owner_wait_during_a_grant_write_that_succeeds_gets_that_grant()
    {
        var name = LockNames.Unique("written-grant");
        var (held, granting, retried) = await RetryDuringGrantWriteAsync(name);
        held.Open();

        // The retry answers with what storage accepted: the grant, not a Busy read before the write landed.
        var grant = await granting;
        var answer = await retried;
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal((LockOutcome.Granted, grant.FencingToken), (answer.Outcome, answer.FencingToken));
        Assert.Equal(0, (await Lock(name).Describe()).WaitingCount);
    }

    /// <summary>
    /// Starts a grant to server-1 whose write storage holds open, then sends server-1's wait call and waits until it
    /// has reached the grain, while the write is still held.
    /// </summary>
    private async Task<(HeldWrites Held, Task<LockResult> Granting, Task<LockResult> Retried)> RetryDuringGrantWriteAsync(string name)
    {
        var held = FaultInjectingGrainStorage.HoldWrites(name);
        var granting = Lock(name).TryAcquire("server-1", Ttl);
        await held.Arrived.WaitAsync(TimeSpan.FromMinutes(1));

        var reached = GrainCallArrivals.Next(name, nameof(ILockGrain.Acquire));
        var retried = Lock(name).Acquire("server-1", Ttl, TimeSpan.FromSeconds(5));
        await reached.WaitAsync(TimeSpan.FromMinutes(1));
        return (held, granting, retried);
    }
}
