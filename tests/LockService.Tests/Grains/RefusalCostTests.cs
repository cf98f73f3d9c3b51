using LockService.Client;
using LockService.Grains;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace LockService.Tests.Grains;

/// <summary>
/// Issue 19, item 4: a refused try costs one grain turn and no write. Counted on a PostgreSQL cluster, for locks and
/// semaphores, through the raw grain and through the handle API (which must send no Abandon after a refused try), with
/// a waiter queued, so the queue's own machinery is there to be disturbed: every turn the grain takes is counted by an
/// incoming call filter (timer ticks included), every write by the row's version in PostgreSQL.
/// </summary>
public sealed class RefusalCostTests : IAsyncLifetime
{
    private const int Rounds = 10;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan WaiterPatience = TimeSpan.FromMinutes(5);

    private string _database = null!;
    private string _serviceId = null!;
    private PostgresTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Grains;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("locks_refusals");
        _serviceId = $"refusals-{Guid.NewGuid():N}";
        _cluster = await PostgresTestCluster.StartAsync(_database, _serviceId, configure: builder => builder.AddSiloBuilderConfigurator<CountingSilo>());
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_refused_lock_try_takes_one_turn_and_writes_nothing_raw_or_through_the_handle()
    {
        var name = LockNames.Unique("refusal-lock");
        var grain = Grains.GetGrain<ILockGrain>(name);
        var holder = LeaseIds.New();
        Assert.True((await grain.TryAcquire("holder", holder, Ttl)).Acquired);
        var waiting = grain.Acquire("waiter", LeaseIds.New(), Ttl, WaiterPatience);
        await Eventually.ReturnsAsync(async () => (await grain.Describe()).WaitingCount, count => count == 1, "the waiter queued");
        var version = await StoredVersionAsync(name);
        var turns = GrainCallCounter.Of(name);

        var locks = new LockProvider(Grains, Options.Create(new LockClientOptions()));
        for (var round = 0; round < Rounds; round++)
        {
            Assert.Null(await locks.CreateLock(name).TryAcquireAsync());
            Assert.Equal(LockOutcome.Busy, (await grain.TryAcquire("raw-lease", LeaseIds.New(), Ttl)).Outcome);
            Assert.Equal(LockOutcome.Busy, (await grain.TryAcquire("raw-owner", Ttl)).Outcome);
        }

        // A later call queues behind whatever the refusals left for the grain to do (a timer due now, an Abandon).
        Assert.Equal(1, (await grain.Describe()).WaitingCount);

        Assert.Equal(
            new Dictionary<string, int> { ["ILockGrain.TryAcquire"] = 3 * Rounds, ["ILockGrain.Describe"] = 1 },
            GrainCallCounter.Since(name, turns));
        Assert.Equal(version, await StoredVersionAsync(name));

        // The queue was not disturbed: the holder's release hands the lock to the waiter.
        Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(holder)).Outcome);
        Assert.Equal(LockOutcome.Granted, (await waiting).Outcome);
    }

    [Fact]
    public async Task A_refused_semaphore_try_takes_one_turn_and_writes_nothing_raw_or_through_the_handle()
    {
        var name = LockNames.Unique("refusal-semaphore");
        var grain = Grains.GetGrain<ISemaphoreGrain>(name);
        var holders = new[] { LeaseIds.New(), LeaseIds.New() };
        foreach (var holder in holders)
        {
            Assert.True((await grain.TryAcquire("holder", holder, 2, Ttl)).Acquired);
        }

        var waiting = grain.Acquire("waiter", LeaseIds.New(), 2, Ttl, WaiterPatience);
        await Eventually.ReturnsAsync(async () => (await grain.Describe()).WaitingCount, count => count == 1, "the waiter queued");
        var version = await StoredVersionAsync(name);
        var turns = GrainCallCounter.Of(name);

        var locks = new LockProvider(Grains, Options.Create(new LockClientOptions()));
        for (var round = 0; round < Rounds; round++)
        {
            Assert.Null(await locks.CreateSemaphore(name, 2).TryAcquireAsync());
            Assert.Equal(LockOutcome.Busy, (await grain.TryAcquire("raw", LeaseIds.New(), 2, Ttl)).Outcome);
        }

        // A later call queues behind whatever the refusals left for the grain to do (a queue check due now, an Abandon).
        Assert.Equal(1, (await grain.Describe()).WaitingCount);

        Assert.Equal(
            new Dictionary<string, int> { ["ISemaphoreGrain.TryAcquire"] = 2 * Rounds, ["ISemaphoreGrain.Describe"] = 1 },
            GrainCallCounter.Since(name, turns));
        Assert.Equal(version, await StoredVersionAsync(name));

        Assert.Equal(LockOutcome.Released, (await grain.Release(holders[0])).Outcome);
        Assert.Equal(LockOutcome.Granted, (await waiting).Outcome);
    }

    /// <summary>The version of the row a test's lock or semaphore is stored in: every write moves it by one.</summary>
    private Task<int> StoredVersionAsync(string name) => TestDatabase.ScalarAsync<int>(
        _database,
        "SELECT version FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @name",
        ("service", _serviceId), ("name", name));

    /// <summary>
    /// Counts every turn, and sets the expiry check interval far beyond the test, so no periodic queue check ticks
    /// while a waiter waits: every turn counted is one the test's calls caused.
    /// </summary>
    public sealed class CountingSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddIncomingGrainCallFilter<GrainCallCounter>();
            silo.Services.Configure<LockGrainOptions>(options => options.ExpiryCheckInterval = TimeSpan.FromHours(1));
        }
    }
}
