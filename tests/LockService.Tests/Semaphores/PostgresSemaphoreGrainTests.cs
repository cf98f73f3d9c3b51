using System.Text;
using LockService.Grains;
using LockService.Semaphores;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Semaphores;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresSemaphoreGrainTests(PostgresClusterFixture fixture) : SemaphoreGrainTestCases<PostgresClusterFixture>(fixture)
{
    [Fact]
    public async Task A_lock_and_a_semaphore_of_the_same_name_keep_separate_rows_and_tokens()
    {
        var name = LockNames.Unique("backup");
        var locked = await Fixture.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", Ttl);
        var first = await Semaphore(name).TryAcquire("server-1", LeaseIds.New(), 2, Ttl);
        var second = await Semaphore(name).TryAcquire("server-2", LeaseIds.New(), 2, Ttl);

        Assert.Equal((1L, 1L, 2L), (locked.FencingToken, first.FencingToken, second.FencingToken));
        Assert.Equal(1, (await Fixture.Grains.GetGrain<ILockGrain>(name).Describe()).FencingToken);

        var rows = await TestDatabase.ScalarAsync<long>(
            Fixture.ConnectionString,
            "SELECT count(DISTINCT graintypestring) FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        Assert.Equal(2, rows);
        var payload = await TestDatabase.ScalarAsync<byte[]>(
            Fixture.ConnectionString,
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name AND graintypestring = @state",
            ("service", Fixture.ServiceId), ("name", name), ("state", SemaphoreStorage.StateName));
        var json = Encoding.UTF8.GetString(payload);
        Assert.Contains("\"maxCount\":2", json);
        Assert.Contains("\"fencingToken\":2", json);
        Assert.Contains("\"leaseIdHash\":", json);
        Assert.DoesNotContain("$type", json);
    }

    [Fact]
    public async Task Waiters_that_become_grantable_together_are_granted_in_one_write()
    {
        var name = LockNames.Unique("sem-one-write");
        var holder = LeaseIds.New();
        await Semaphore(name).TryAcquire("holder", holder, 1, Ttl);
        var waiting = Enumerable.Range(0, 3).Select(i => Semaphore(name).Acquire($"waiter-{i}", LeaseIds.New(), 1, Ttl, LongWait)).ToList();
        await Eventually.ReturnsAsync(() => Semaphore(name).Describe(), d => d.WaitingCount == 3, "three waiters in the queue");
        var before = await VersionAsync(name);

        // Raised by two: two waiters are granted by the limit change's own write.
        var raised = await Semaphore(name).SetLimit(3);
        Assert.Equal((3, 1), (raised.Holders.Count, raised.WaitingCount));
        Assert.Equal(before + 1, await VersionAsync(name));

        // Every lease ends at once (a forced release of all): the last waiter's grant is in that same write.
        Assert.Equal(3, await Semaphore(name).ForceRelease(null));
        Assert.Equal(before + 2, await VersionAsync(name));
        var grants = await Task.WhenAll(waiting).WaitAsync(LongWait);
        Assert.All(grants, grant => Assert.Equal(LockOutcome.Granted, grant.Outcome));
        Assert.Equal([2L, 3L, 4L], grants.Select(grant => grant.FencingToken).Order());
        Assert.Single((await Semaphore(name).Describe()).Holders);
    }

    private Task<int> VersionAsync(string name) => TestDatabase.ScalarAsync<int>(
        Fixture.ConnectionString,
        "SELECT version FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name AND graintypestring = @state",
        ("service", Fixture.ServiceId), ("name", name), ("state", SemaphoreStorage.StateName));
}
