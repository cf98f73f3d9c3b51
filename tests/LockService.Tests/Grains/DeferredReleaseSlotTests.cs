using System.Diagnostics;
using LockService.Grains;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Orleans.TestingHost;

namespace LockService.Tests.Grains;

/// <summary>
/// A lazily durable release waits for one of the silo's few deferred-write slots (<see cref="DeferredReleaseWrites"/>),
/// but a lock never waits for other locks' writes: while every slot is taken, it keeps answering its callers.
/// </summary>
public sealed class DeferredReleaseSlotTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ReleaseWriteDelay = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task A_lock_with_a_pending_release_answers_while_other_locks_hold_every_write_slot()
    {
        // One silo, so every lock shares its slots.
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = $"slots-{Guid.NewGuid():N}";
        builder.Properties[TestClocks.ConfigurationKey] = Guid.NewGuid().ToString("N");
        builder.AddSiloBuilderConfigurator<InMemorySiloConfigurator>();
        ReleaseWriteDelayConfigurator.Prepare(builder, ReleaseWriteDelay);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var heldSlots = new List<HeldWrites>();
        try
        {
            foreach (var other in Enumerable.Range(0, DeferredReleaseWrites.MaxConcurrent).Select(i => LockNames.Unique($"slot-holder-{i}")))
            {
                var otherLock = cluster.Client.GetGrain<ILockGrain>(other);
                var lease = LeaseIds.New();
                await otherLock.TryAcquire("server-1", lease, Ttl);
                heldSlots.Add(FaultInjectingGrainStorage.HoldWrites(other));
                await otherLock.ReleaseLease(lease);
            }

            // Every slot is taken by a release write that storage holds open.
            await Task.WhenAll(heldSlots.Select(h => h.Arrived)).WaitAsync(TimeSpan.FromMinutes(1));

            var name = LockNames.Unique("pending-release");
            var grain = cluster.Client.GetGrain<ILockGrain>(name);
            var firstLease = LeaseIds.New();
            var first = await grain.TryAcquire("server-1", firstLease, Ttl);
            Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(firstLease)).Outcome);
            var quiet = LockNames.Unique("pending-release-quiet");
            var quietLock = cluster.Client.GetGrain<ILockGrain>(quiet);
            var quietLease = LeaseIds.New();
            await quietLock.TryAcquire("server-1", quietLease, Ttl);
            await quietLock.ReleaseLease(quietLease);

            // Its release write falls due within a delay and finds no slot free; for many delays after that, every
            // call must still be answered (a generous deadline each, for a loaded machine) while the slots stay taken.
            var calling = Stopwatch.StartNew();
            while (calling.Elapsed < ReleaseWriteDelay * 20)
            {
                var description = await grain.Describe().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.False(description.IsHeld);
            }

            var next = await grain.TryAcquire("server-2", LeaseIds.New(), Ttl).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(LockOutcome.Granted, next.Outcome);
            Assert.Equal(first.FencingToken + 1, next.FencingToken);
            Assert.All(heldSlots, h => Assert.Equal(1, h.Count));

            // Once slots are free again, the release nobody followed up reaches storage by itself.
            heldSlots.ForEach(h => h.Open());
            await Eventually.ReturnsAsync(() => ReadHolderAsync(cluster, quiet), holder => holder is null, "the pending release to be written", TimeSpan.FromSeconds(30));
        }
        finally
        {
            heldSlots.ForEach(h => h.Open());
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task<string?> ReadHolderAsync(TestCluster cluster, string lockName)
    {
        var silo = (InProcessSiloHandle)cluster.GetActiveSilos().First();
        return (await LockClusterFixture.ReadStoredAsync(silo, lockName)).State.Holder;
    }
}
