using System.Net;
using LockService.Http;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>The semaphore routes over real HTTP on three silo processes sharing PostgreSQL.</summary>
[Collection(HttpClusterCollection.Name)]
public sealed class HttpSemaphoreTests(HttpClusterFixture cluster)
{
    [Fact]
    public async Task Grant_busy_refresh_and_release_work_across_silos()
    {
        var name = LockNames.Unique("http-sem");
        var path = $"v1/semaphores/{name}";

        var first = await (await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "a", max = 2, ttl = "30s" })).OkAsync<SemaphoreGrantResponse>();
        var second = await (await cluster.Http(1).PostJsonAsync($"{path}/acquire", new { owner = "b", max = 2, ttl = "30s" })).OkAsync<SemaphoreGrantResponse>();
        Assert.Equal(("granted", "granted"), (first.Outcome, second.Outcome));
        Assert.NotEqual(first.Slot, second.Slot);
        Assert.NotEqual(first.LeaseId, second.LeaseId);
        Assert.True(second.FencingToken > first.FencingToken);

        using var busy = await cluster.Http(2).PostJsonAsync($"{path}/acquire", new { owner = "c", max = 2, ttl = "30s" });
        await busy.ProblemAsync(HttpStatusCode.Conflict, "busy");

        var refreshed = await (await cluster.Http(2).PostJsonAsync($"{path}/refresh", new { leaseId = first.LeaseId, ttl = "2m" })).OkAsync<SemaphoreGrantResponse>();
        Assert.Equal((first.Slot, first.FencingToken), (refreshed.Slot, refreshed.FencingToken));
        Assert.True(refreshed.ExpiresAt > first.ExpiresAt);
        using var notHolder = await cluster.Http(0).PostJsonAsync($"{path}/refresh", new { leaseId = LeaseIds.New(), ttl = "30s" });
        await notHolder.ProblemAsync(HttpStatusCode.Conflict, "not-holder");

        var state = await (await cluster.Http(1).GetAsync(path)).OkAsync<SemaphoreStatusResponse>();
        Assert.Equal((name, 2, 0), (state.Name, state.Max, state.Waiters));
        Assert.Equal(new[] { "a", "b" }, state.Holders.OrderBy(h => h.FencingToken).Select(h => h.Owner));

        Assert.True((await (await cluster.Http(0).PostJsonAsync($"{path}/release", new { leaseId = first.LeaseId })).OkAsync<ReleaseResponse>()).Released);
        Assert.False((await (await cluster.Http(1).PostJsonAsync($"{path}/release", new { leaseId = first.LeaseId })).OkAsync<ReleaseResponse>()).Released);

        var third = await (await cluster.Http(2).PostJsonAsync($"{path}/acquire", new { owner = "c", max = 2, ttl = "30s" })).OkAsync<SemaphoreGrantResponse>();
        Assert.Equal(first.Slot, third.Slot);
        Assert.True(third.FencingToken > second.FencingToken);
    }

    [Fact]
    public async Task The_same_lease_id_again_keeps_its_slot_and_token()
    {
        var path = $"v1/semaphores/{LockNames.Unique("http-sem-retry")}";
        var leaseId = LeaseIds.New();
        var grant = await (await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { max = 3, ttl = "30s", leaseId })).OkAsync<SemaphoreGrantResponse>();
        var retry = await (await cluster.Http(1).PostJsonAsync($"{path}/acquire", new { max = 3, ttl = "30s", wait = "5s", leaseId })).OkAsync<SemaphoreGrantResponse>();

        Assert.Equal(("renewed", grant.Slot, grant.FencingToken, leaseId), (retry.Outcome, retry.Slot, retry.FencingToken, retry.LeaseId));
        var state = await (await cluster.Http(2).GetAsync(path)).OkAsync<SemaphoreStatusResponse>();
        Assert.Single(state.Holders);
    }

    [Fact]
    public async Task A_different_limit_is_a_limit_mismatch_naming_the_stored_one()
    {
        var path = $"v1/semaphores/{LockNames.Unique("http-sem-limit")}";
        using var granted = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { max = 2, ttl = "30s" });
        await granted.OkAsync<SemaphoreGrantResponse>();

        using var mismatch = await cluster.Http(1).PostJsonAsync($"{path}/acquire", new { max = 5, ttl = "30s" });
        var problem = await mismatch.ProblemAsync(HttpStatusCode.Conflict, "limit-mismatch");
        Assert.Equal(2, problem.GetProperty("storedMax").GetInt32());
    }

    [Fact]
    public async Task A_long_poll_gets_the_slot_freed_by_a_release()
    {
        var path = $"v1/semaphores/{LockNames.Unique("http-sem-wait")}";
        var holder = await (await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "holder", max = 1, ttl = "2m" })).OkAsync<SemaphoreGrantResponse>();
        var waiting = cluster.Http(1).PostJsonAsync($"{path}/acquire", new { owner = "waiter", max = 1, ttl = "2m", wait = "50s" });
        await LockService.Testing.Eventually.ReturnsAsync(
            async () => (await (await cluster.Http(2).GetAsync(path)).OkAsync<SemaphoreStatusResponse>()).Waiters,
            waiters => waiters == 1,
            "the waiter queued");

        using var release = await cluster.Http(2).PostJsonAsync($"{path}/release", new { leaseId = holder.LeaseId });
        using var answered = await waiting;
        var grant = await answered.OkAsync<SemaphoreGrantResponse>();
        Assert.Equal(("granted", 0), (grant.Outcome, grant.Slot));
        Assert.True(grant.FencingToken > holder.FencingToken);
    }
}
