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
}
