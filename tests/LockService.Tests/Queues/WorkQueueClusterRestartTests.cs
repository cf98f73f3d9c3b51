using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Queues;

public sealed class WorkQueueClusterRestartTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Tasks_claims_and_claim_tokens_survive_a_full_cluster_restart_on_the_same_database()
    {
        var database = await TestDatabase.CreateAsync("locks_queue_restart");
        var serviceId = $"queue-restart-{Guid.NewGuid():N}";
        var name = LockNames.Unique("q-restart");
        var heldLease = LeaseIds.New();
        var abandonedLease = LeaseIds.New();

        ClaimedTask held, abandoned;
        await using (var before = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2))
        {
            var queue = before.Grains.GetGrain<IWorkQueueGrain>(name);
            await queue.Enqueue([new NewTask("a", "key-a"), new NewTask("b", "key-b"), new NewTask("c")]);
            abandoned = (await queue.Claim("worker-1", abandonedLease, Ttl, TimeSpan.Zero))!;
            held = (await queue.Claim("worker-2", heldLease, Ttl, TimeSpan.Zero))!;
            Assert.True(await WorkQueueTaskIds.SegmentOf(before.Grains, name, abandoned.TaskId).Abandon(abandoned.TaskId, abandonedLease, "try again"));
        }

        await using var after = await PostgresTestCluster.StartAsync(database, serviceId, silos: 2);
        var restarted = after.Grains.GetGrain<IWorkQueueGrain>(name);

        var stats = await restarted.Stats();
        Assert.Equal((2L, 1L), (stats.Pending, stats.Claimed));
        // The claim held across the restart is found again by its lease id, and still completes.
        Assert.Equal(held, await restarted.Claim("worker-2", heldLease, Ttl, TimeSpan.Zero));
        // Keys are still known, and the abandoned task's next claim has a larger token than any before.
        Assert.Equal(held.TaskId, (await restarted.Enqueue([new NewTask("b again", "key-b")])).Single());
        var reclaimed = await restarted.Claim("worker-3", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal((abandoned.TaskId, 2L, 2), (reclaimed?.TaskId, reclaimed?.ClaimToken, reclaimed?.Attempt));
        await Assert.ThrowsAsync<TaskLeaseLostException>(() => WorkQueueTaskIds.SegmentOf(after.Grains, name, abandoned.TaskId).Complete(abandoned.TaskId, abandonedLease));
        await WorkQueueTaskIds.SegmentOf(after.Grains, name, held.TaskId).Complete(held.TaskId, heldLease);
        Assert.Equal("0-3", (await restarted.Enqueue([new NewTask("d")])).Single());
    }

    [Fact]
    public async Task A_claim_made_before_a_full_cluster_restart_is_found_by_its_lease_id_and_withdrawn_after_it()
    {
        var database = await TestDatabase.CreateAsync("locks_queue_withdraw_restart");
        var serviceId = $"queue-withdraw-restart-{Guid.NewGuid():N}";
        var name = LockNames.Unique("q-withdraw-restart");
        var lostLease = LeaseIds.New();

        ClaimedTask lost;
        await using (var before = await PostgresTestCluster.StartAsync(database, serviceId, silos: 1))
        {
            var queue = before.Grains.GetGrain<IWorkQueueGrain>(name);
            await queue.Enqueue([new NewTask("a")]);
            lost = (await queue.Claim("worker-1", lostLease, Ttl, TimeSpan.Zero))!;
        }

        // A new activation rebuilds its index of claims out from the segments: the same lease id finds its claim again,
        // and withdrawing it gives the task back at once without counting the attempt.
        await using var after = await PostgresTestCluster.StartAsync(database, serviceId, silos: 1);
        var restarted = after.Grains.GetGrain<IWorkQueueGrain>(name);
        Assert.Equal(lost, await restarted.Claim("worker-1", lostLease, Ttl, TimeSpan.Zero));

        Assert.True(await restarted.Withdraw(lostLease));

        Assert.False(await restarted.Withdraw(lostLease));
        var reclaimed = await restarted.Claim("worker-2", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal((lost.TaskId, 2L, 1), (reclaimed?.TaskId, reclaimed?.ClaimToken, reclaimed?.Attempt));
    }
}
