using System.Text;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresLockGrainTests(PostgresClusterFixture fixture) : LockGrainTestCases<PostgresClusterFixture>(fixture)
{
    [Fact]
    public async Task A_concurrent_write_by_another_activation_fails_the_call_closed()
    {
        var name = LockNames.Unique("pg-conflict");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);

        // What a duplicate activation's successful write looks like to this one: the stored version moved on.
        var bumped = await TestDatabase.ExecuteAsync(
            Fixture.ConnectionString,
            "UPDATE orleansstorage SET version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        Assert.Equal(1, bumped);

        var error = await Assert.ThrowsAsync<LockStorageException>(() => Lock(name).Refresh("server-1", grant.FencingToken, Ttl));
        Assert.Contains("storage conflict", error.Message);

        // The activation reloaded: the next calls see the stored lease and work again.
        Assert.Equal(LockOutcome.Busy, (await Lock(name).TryAcquire("server-2", Ttl)).Outcome);
        Assert.Equal(LockOutcome.Renewed, (await Lock(name).Refresh("server-1", grant.FencingToken, Ttl)).Outcome);
    }

    [Fact]
    public async Task State_is_stored_as_plain_json_without_type_names()
    {
        var name = LockNames.Unique("pg-shape");
        await Lock(name).TryAcquire("server-1", Ttl);

        var payload = await TestDatabase.ScalarAsync<byte[]>(
            Fixture.ConnectionString,
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        var json = Encoding.UTF8.GetString(payload);

        Assert.Contains("\"holder\":\"server-1\"", json);
        Assert.Contains("\"fencingToken\":1", json);
        Assert.DoesNotContain("$type", json);
        Assert.DoesNotContain("LockService", json);
    }

    [Fact]
    public async Task A_row_whose_version_reaches_the_integer_limit_keeps_accepting_writes()
    {
        var name = LockNames.Unique("pg-version-limit");
        var grant = await Lock(name).TryAcquire("server-1", Ttl);

        // As if this lock had been written 2^31 - 3 times: the next writes cross int.MaxValue.
        var moved = await TestDatabase.ExecuteAsync(
            Fixture.ConnectionString,
            "UPDATE orleansstorage SET version = 2147483645 WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        Assert.Equal(1, moved);
        await Fixture.DeactivateAsync(name);

        for (var write = 0; write < 5; write++)
        {
            Fixture.Clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(LockOutcome.Renewed, (await Lock(name).Refresh("server-1", grant.FencingToken, Ttl)).Outcome);
        }

        Assert.Equal(LockOutcome.Released, (await Lock(name).Release("server-1", grant.FencingToken)).Outcome);
        var next = await Lock(name).TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(grant.FencingToken + 1, next.FencingToken);

        // A fresh activation reads the wrapped version back and goes on writing from it.
        await Fixture.DeactivateAsync(name);
        Assert.Equal(LockOutcome.Renewed, (await Lock(name).Refresh("server-2", next.FencingToken, Ttl)).Outcome);
        var version = await TestDatabase.ScalarAsync<int>(
            Fixture.ConnectionString,
            "SELECT version FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        Assert.InRange(version, 1, 10);
    }
}
