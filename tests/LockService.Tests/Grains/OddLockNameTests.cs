using LockService.Grains;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace LockService.Tests.Grains;

/// <summary>
/// Every name that passes <see cref="LockArguments.ValidateName"/> works end to end on PostgreSQL: granted, refreshed,
/// released, granted again with a larger token, and read back by a fresh activation. Orleans' ADO.NET storage once
/// turned braces in a name into a storage failure after the row was written.
/// </summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class OddLockNameTests(PostgresClusterFixture fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    public static TheoryData<string> OddNames => new()
    {
        "{\"job\":\"nightly-report\",\"shard\":3}",
        "{0}",
        "{0:N}{1}",
        "{{",
        "}}",
        "{",
        "}",
        "a{b}c",
        "{}",
        "orders/2026/12/invoice-42",
        @"C:\temp\locks\file.txt",
        @"\\server\share\",
        "it's \"quoted\"",
        "'; DROP TABLE orleansstorage; --",
        "%s %d %n $1 @name",
        "key#extension",
        "tab\tand\nnewline",
        "lock 🔒 rocket 🚀",
        "قفل-الطلبات",
        "שלום {עולם}",
        "e\u0301 and é",
        new string('{', LockArguments.MaxLength),
        new string('x', LockArguments.MaxLength),
        string.Concat(Enumerable.Repeat("🔒", LockArguments.MaxLength / 2)),
    };

    [Theory]
    [MemberData(nameof(OddNames))]
    public async Task A_valid_but_odd_name_is_granted_refreshed_released_and_read_back(string oddName)
    {
        // A unique prefix, the odd name after it, cut (between characters, never inside a surrogate pair) to the
        // longest allowed length if it is longer.
        var unique = $"{Guid.NewGuid().ToString("N")[..8]}|";
        var room = LockArguments.MaxLength - unique.Length;
        var name = unique + (oddName.Length <= room ? oddName : oddName[..(char.IsHighSurrogate(oddName[room - 1]) ? room - 1 : room)]);

        var grain = fixture.Grains.GetGrain<ILockGrain>(name);
        var first = await grain.TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, first.Outcome);
        Assert.Equal(name, first.LockName);
        Assert.Equal(LockOutcome.Renewed, (await grain.Refresh("server-1", first.FencingToken, Ttl)).Outcome);
        Assert.Equal(LockOutcome.Released, (await grain.Release("server-1", first.FencingToken)).Outcome);

        var second = await grain.TryAcquire("server-2", Ttl);
        Assert.Equal(LockOutcome.Granted, second.Outcome);
        Assert.Equal(first.FencingToken + 1, second.FencingToken);

        await fixture.DeactivateAsync(name);
        var readBack = await grain.Describe();
        Assert.Equal((name, "server-2", second.FencingToken), (readBack.LockName, readBack.Holder, readBack.FencingToken));
        Assert.Equal(LockOutcome.Busy, (await grain.TryAcquire("server-3", Ttl)).Outcome);
        var stored = (await fixture.ReadStoredAsync(name)).State;
        Assert.Equal(("server-2", second.FencingToken), (stored.Holder, stored.FencingToken));

        // Housekeeping works for it too: the reaper reminder is registered under the lock's own grain id.
        var reminders = await TestDatabase.ScalarAsync<long>(
            fixture.ConnectionString,
            "SELECT count(*) FROM orleansreminderstable WHERE serviceid = @service AND grainid = @grain",
            ("service", fixture.ServiceId), ("grain", GrainId.Create("lock", name).ToString()));
        Assert.Equal(1, reminders);
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("{{}}")]
    public async Task A_name_with_braces_stored_under_its_plain_key_before_keeps_its_fencing_tokens(string oddPart)
    {
        var name = $"{LockNames.Unique("former-key")}{oddPart}";
        var silo = (InProcessSiloHandle)fixture.Cluster.GetActiveSilos().First();
        var storage = silo.SiloHost!.Services.GetRequiredKeyedService<IGrainStorage>(LockGrainServices.StorageProviderName);
        var before = fixture.Clock.GetUtcNow() - TimeSpan.FromMinutes(1);
        var former = new GrainState<LockState>(new LockState
        {
            Holder = "old-server", LastHolder = "old-server", FencingToken = 41, AcquiredAt = before - Ttl, ExpiresAt = before,
        });

        // What an earlier version left behind: the row under the plain key (the provider may fail after writing it).
        await Record.ExceptionAsync(() => storage.WriteStateAsync(LockGrainServices.StateName, GrainId.Create("lock", name), former));
        var formerRows = await TestDatabase.ScalarAsync<long>(
            fixture.ConnectionString,
            "SELECT count(*) FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
            ("service", fixture.ServiceId), ("name", name));
        Assert.Equal(1, formerRows);

        var grant = await fixture.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", Ttl);
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal(42, grant.FencingToken);
        await fixture.DeactivateAsync(name);
        var readBack = await fixture.Grains.GetGrain<ILockGrain>(name).Describe();
        Assert.Equal(("server-1", 42L), (readBack.Holder, readBack.FencingToken));
    }
}
