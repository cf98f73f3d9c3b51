using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cluster;

/// <summary>
/// Two clusters with one service id on one database: every lock name has an activation in each, which is what a
/// duplicate activation during a failure looks like to storage. Only one may ever write the first row.
/// </summary>
public sealed class DuplicateActivationTests
{
    private const int LockCount = 100;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Two_activations_racing_for_100_new_locks_never_grant_one_twice()
    {
        var database = await TestDatabase.CreateAsync("locks_duplicates");
        var serviceId = $"duplicates-{Guid.NewGuid():N}";
        await using var first = await PostgresTestCluster.StartAsync(database, serviceId);
        await using var second = await PostgresTestCluster.StartAsync(database, serviceId);
        var names = Enumerable.Range(0, LockCount).Select(i => LockNames.Unique($"dup{i}")).ToArray();

        // Activate every lock in both clusters first: both activations have read "no row yet", so both will try
        // the first insert. That is the race the unique constraint has to settle.
        await Task.WhenAll(names.SelectMany(n => new[] { first.Grains.GetGrain<ILockGrain>(n).Describe(), second.Grains.GetGrain<ILockGrain>(n).Describe() }));

        var outcomes = await Task.WhenAll(names.Select(async name =>
        {
            var attempts = await Task.WhenAll(
                AttemptAsync(first.Grains.GetGrain<ILockGrain>(name), "owner-first"),
                AttemptAsync(second.Grains.GetGrain<ILockGrain>(name), "owner-second"));
            return (Name: name, Attempts: attempts);
        }));

        foreach (var (name, attempts) in outcomes)
        {
            var grant = Assert.Single(attempts, a => a.Result?.Outcome == LockOutcome.Granted);
            Assert.Equal(1, grant.Result!.FencingToken);
            var loser = Assert.Single(attempts, a => a != grant);
            // The loser failed closed on the conflicting insert.
            Assert.IsType<LockStorageException>(loser.Error);
        }

        var duplicatedIdentities = await TestDatabase.ScalarAsync<long>(
            database,
            "SELECT count(*) FROM (SELECT 1 FROM orleansstorage WHERE serviceid = @service GROUP BY graintypestring, grainidextensionstring HAVING count(*) > 1) d",
            ("service", serviceId));
        var rows = await TestDatabase.ScalarAsync<long>(database, "SELECT count(*) FROM orleansstorage WHERE serviceid = @service", ("service", serviceId));
        Assert.Equal(0, duplicatedIdentities);
        Assert.Equal(LockCount, rows);

        // Each losing activation reloaded: it now sees the winner and refuses, in both clusters.
        foreach (var (name, attempts) in outcomes.Take(10))
        {
            var winner = attempts.Single(a => a.Result is not null).Result!.Holder;
            Assert.Equal(winner, (await first.Grains.GetGrain<ILockGrain>(name).Describe()).Holder);
            Assert.Equal(winner, (await second.Grains.GetGrain<ILockGrain>(name).Describe()).Holder);
        }
    }

    private static async Task<(LockResult? Result, Exception? Error)> AttemptAsync(ILockGrain lockGrain, string owner)
    {
        try
        {
            return (await lockGrain.TryAcquire(owner, Ttl), null);
        }
        catch (Exception exception)
        {
            return (null, exception);
        }
    }
}
