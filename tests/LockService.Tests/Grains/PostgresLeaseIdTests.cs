using System.Text;
using LockService.Leases;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresLeaseIdTests(PostgresClusterFixture fixture) : LeaseIdTestCases<PostgresClusterFixture>(fixture)
{
    [Fact]
    public async Task The_stored_row_holds_the_lease_ids_hash_not_the_id()
    {
        var name = LockNames.Unique("pg-lease-hash");
        var leaseId = LeaseIds.New();
        await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        var madeBy = await Lock(LockNames.Unique("pg-lease-made")).TryAcquire("server-1", Ttl);

        var json = await StoredJsonAsync(name);
        Assert.Contains($"\"leaseIdHash\":\"{LeaseIdHash.Of(leaseId)}\"", json);
        Assert.Contains("\"leaseIdOnly\":true", json);
        Assert.DoesNotContain(leaseId, json);
        Assert.DoesNotContain(madeBy.LeaseId!, await StoredJsonAsync(madeBy.LockName));
    }

    [Fact]
    public async Task The_same_lease_id_finds_its_grant_in_a_fresh_activation()
    {
        var name = LockNames.Unique("pg-lease-reload");
        var leaseId = LeaseIds.New();
        var granted = await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        await Fixture.DeactivateAsync(name);

        var retried = await Lock(name).TryAcquire("server-1", leaseId, Ttl);
        Assert.Equal((LockOutcome.Renewed, granted.FencingToken), (retried.Outcome, retried.FencingToken));
        Assert.Equal(LockOutcome.Busy, (await Lock(name).TryAcquire("server-1", LeaseIds.New(), Ttl)).Outcome);
    }

    [Fact]
    public async Task A_row_written_before_lease_ids_still_answers_to_its_owner_and_token()
    {
        var name = LockNames.Unique("pg-lease-old-row");
        var granted = await Lock(name).TryAcquire("server-1", Ttl);
        // As the row looked before lease ids: no hash, no flag.
        var rewritten = await TestDatabase.ExecuteAsync(
            Fixture.ConnectionString,
            "UPDATE orleansstorage SET payloadbinary = convert_to(((convert_from(payloadbinary, 'UTF8')::jsonb) - 'leaseIdHash' - 'leaseIdOnly')::text, 'UTF8') WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", Fixture.ServiceId), ("name", name));
        Assert.Equal(1, rewritten);
        await Fixture.DeactivateAsync(name);
        Assert.DoesNotContain("leaseId", await StoredJsonAsync(name));

        Assert.Equal(LockOutcome.NotHolder, (await Lock(name).ReleaseLease(granted.LeaseId!)).Outcome);
        Assert.Equal(LockOutcome.Renewed, (await Lock(name).Refresh("server-1", granted.FencingToken, Ttl)).Outcome);
        Assert.Equal(LockOutcome.Released, (await Lock(name).Release("server-1", granted.FencingToken)).Outcome);
    }

    private async Task<string> StoredJsonAsync(string name) => Encoding.UTF8.GetString(await TestDatabase.ScalarAsync<byte[]>(
        Fixture.ConnectionString,
        "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
        ("service", Fixture.ServiceId), ("name", name)));
}
