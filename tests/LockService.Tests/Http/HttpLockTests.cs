using System.Net;
using LockService.Http;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// The lock routes over real HTTP, on three silo processes sharing PostgreSQL: each call goes to a different silo, as
/// behind a round-robin proxy, and every answer must be the lock's one truth.
/// </summary>
[Collection(HttpClusterCollection.Name)]
public sealed class HttpLockTests(HttpClusterFixture cluster)
{
    [Fact]
    public async Task Grant_busy_refresh_and_release_work_across_silos()
    {
        var name = LockNames.Unique("http-lock");
        var path = $"v1/locks/{name}";

        using var granted = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "alice", ttl = "30s" });
        var alice = await granted.OkAsync<LockGrantResponse>();
        Assert.Equal("granted", alice.Outcome);
        Assert.Equal("alice", alice.Holder);
        Assert.True(alice.FencingToken > 0);
        Assert.True(alice.LeaseId.Length >= LeaseIds.MinLength);
        Assert.InRange(alice.ExpiresAt!.Value, DateTime.UtcNow.AddSeconds(5), DateTime.UtcNow.AddSeconds(60));
        Assert.Equal(HttpClusterFixture.SiloName(0), granted.ServedBy());

        using var busy = await cluster.Http(1).PostJsonAsync($"{path}/acquire", new { owner = "bob", ttl = "30s" });
        var problem = await busy.ProblemAsync(HttpStatusCode.Conflict, "busy");
        Assert.Equal("alice", problem.GetProperty("holder").GetString());
        Assert.True(problem.GetProperty("expiresAt").GetDateTime() > DateTime.UtcNow);
        Assert.Equal(HttpClusterFixture.SiloName(1), busy.ServedBy());

        using var refreshed = await cluster.Http(2).PostJsonAsync($"{path}/refresh", new { leaseId = alice.LeaseId, ttl = "2m" });
        var refresh = await refreshed.OkAsync<LockRefreshResponse>();
        Assert.Equal(alice.FencingToken, refresh.FencingToken);
        Assert.True(refresh.ExpiresAt > alice.ExpiresAt);

        using var status = await cluster.Http(1).GetAsync(path);
        var state = await status.OkAsync<LockStatusResponse>();
        Assert.Equal((name, "alice", alice.FencingToken, 0), (state.Name, state.Holder, state.FencingToken, state.Waiters));

        using var notHolder = await cluster.Http(0).PostJsonAsync($"{path}/refresh", new { leaseId = LeaseIds.New(), ttl = "30s" });
        await notHolder.ProblemAsync(HttpStatusCode.Conflict, "not-holder");
        using var wrongRelease = await cluster.Http(0).PostJsonAsync($"{path}/release", new { leaseId = LeaseIds.New() });
        await wrongRelease.ProblemAsync(HttpStatusCode.Conflict, "not-holder");

        using var released = await cluster.Http(1).PostJsonAsync($"{path}/release", new { leaseId = alice.LeaseId });
        Assert.True((await released.OkAsync<ReleaseResponse>()).Released);
        using var releasedAgain = await cluster.Http(2).PostJsonAsync($"{path}/release", new { leaseId = alice.LeaseId });
        Assert.False((await releasedAgain.OkAsync<ReleaseResponse>()).Released);

        using var next = await cluster.Http(2).PostJsonAsync($"{path}/acquire", new { owner = "bob", ttl = "30s" });
        var bob = await next.OkAsync<LockGrantResponse>();
        Assert.True(bob.FencingToken > alice.FencingToken, $"token {bob.FencingToken} after {alice.FencingToken}");
    }

    [Fact]
    public async Task The_same_lease_id_again_renews_with_the_same_token_and_never_grants_twice()
    {
        var path = $"v1/locks/{LockNames.Unique("http-retry")}";
        var leaseId = LeaseIds.New();

        using var first = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "cron", ttl = "30s", leaseId });
        var grant = await first.OkAsync<LockGrantResponse>();
        Assert.Equal(("granted", leaseId), (grant.Outcome, grant.LeaseId));

        // A retry after a lost answer, through another silo, with and without a wait.
        using var retry = await cluster.Http(1).PostJsonAsync($"{path}/acquire", new { owner = "cron", ttl = "30s", leaseId });
        var renewed = await retry.OkAsync<LockGrantResponse>();
        using var waitingRetry = await cluster.Http(2).PostJsonAsync($"{path}/acquire", new { owner = "cron", ttl = "30s", wait = "5s", leaseId });
        var renewedAgain = await waitingRetry.OkAsync<LockGrantResponse>();

        Assert.Equal(("renewed", grant.FencingToken, leaseId), (renewed.Outcome, renewed.FencingToken, renewed.LeaseId));
        Assert.Equal(("renewed", grant.FencingToken), (renewedAgain.Outcome, renewedAgain.FencingToken));

        // Another lease of the same owner label is another attempt: busy.
        using var other = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "cron", ttl = "30s" });
        await other.ProblemAsync(HttpStatusCode.Conflict, "busy");
    }

    [Fact]
    public async Task Long_poll_waiters_are_served_first_come_first_served()
    {
        var path = $"v1/locks/{LockNames.Unique("http-fifo")}";
        using var holderResponse = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "holder", ttl = "2m" });
        var holder = await holderResponse.OkAsync<LockGrantResponse>();

        var first = cluster.Http(1).PostJsonAsync($"{path}/acquire", new { owner = "first", ttl = "2m", wait = "50s" });
        await WaitForWaitersAsync(path, 1);
        var second = cluster.Http(2).PostJsonAsync($"{path}/acquire", new { owner = "second", ttl = "2m", wait = "50s" });
        await WaitForWaitersAsync(path, 2);

        using var release = await cluster.Http(0).PostJsonAsync($"{path}/release", new { leaseId = holder.LeaseId });
        Assert.True((await release.OkAsync<ReleaseResponse>()).Released);

        using var firstResponse = await first;
        var firstGrant = await firstResponse.OkAsync<LockGrantResponse>();
        Assert.Equal("first", firstGrant.Holder);
        Assert.False(second.IsCompleted, "the second waiter was answered before the first released the lock");
        var state = await (await cluster.Http(0).GetAsync(path)).OkAsync<LockStatusResponse>();
        Assert.Equal(("first", 1), (state.Holder, state.Waiters));

        using var handOn = await cluster.Http(1).PostJsonAsync($"{path}/release", new { leaseId = firstGrant.LeaseId });
        using var secondResponse = await second;
        var secondGrant = await secondResponse.OkAsync<LockGrantResponse>();
        Assert.Equal("second", secondGrant.Holder);
        Assert.True(holder.FencingToken < firstGrant.FencingToken && firstGrant.FencingToken < secondGrant.FencingToken,
            $"tokens {holder.FencingToken}, {firstGrant.FencingToken}, {secondGrant.FencingToken}");
    }

    [Fact]
    public async Task A_waiter_that_disconnects_is_withdrawn_and_gets_no_grant()
    {
        var path = $"v1/locks/{LockNames.Unique("http-disconnect")}";
        using var hangUp = new CancellationTokenSource();
        var (holder, waiterClient, waiting) = await HoldAndQueueAWaiterAsync(path, hangUp.Token);
        using var _ = waiterClient;

        hangUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        // The server saw the disconnect and took the waiter out of the queue, long before its 50 s wait ran out.
        await WaitForWaitersAsync(path, 0);

        using var release = await cluster.Http(2).PostJsonAsync($"{path}/release", new { leaseId = holder.LeaseId });
        Assert.True((await release.OkAsync<ReleaseResponse>()).Released);
        var state = await (await cluster.Http(0).GetAsync(path)).OkAsync<LockStatusResponse>();
        Assert.Null(state.Holder);
        Assert.Equal(holder.FencingToken, state.FencingToken);
    }

    [Fact]
    public async Task A_grant_racing_a_disconnect_is_withdrawn()
    {
        // The holder releases at the moment the waiter hangs up: whichever way the race goes in the grain, nothing
        // may be left held by the waiter that is gone.
        for (var round = 0; round < 3; round++)
        {
            var path = $"v1/locks/{LockNames.Unique("http-race")}";
            using var hangUp = new CancellationTokenSource();
            var (holder, waiterClient, waiting) = await HoldAndQueueAWaiterAsync(path, hangUp.Token);
            using var _ = waiterClient;

            var release = cluster.Http(2).PostJsonAsync($"{path}/release", new { leaseId = holder.LeaseId });
            hangUp.Cancel();
            using (await release)
            {
            }

            try
            {
                using var answered = await waiting;
                if (answered.StatusCode == HttpStatusCode.OK)
                {
                    // The grant reached the client before it hung up: it is the client's to release, not a leak.
                    var grant = await answered.OkAsync<LockGrantResponse>();
                    using var released = await cluster.Http(0).PostJsonAsync($"{path}/release", new { leaseId = grant.LeaseId });
                }
            }
            catch (OperationCanceledException)
            {
                // Hung up before the answer: the usual case.
            }

            await Eventually.ReturnsAsync(
                async () => await (await cluster.Http(0).GetAsync(path)).OkAsync<LockStatusResponse>(),
                state => state.Holder is null && state.Waiters == 0,
                "the lock free with nobody waiting after the waiter hung up");
        }
    }

    /// <summary>
    /// A holder on silo 0, and a waiter long-polling through a client of its own on silo 1 (to hang up with
    /// <paramref name="hangUp"/>), queued by the time this returns.
    /// </summary>
    private async Task<(LockGrantResponse Holder, HttpClient WaiterClient, Task<HttpResponseMessage> Waiting)> HoldAndQueueAWaiterAsync(string path, CancellationToken hangUp)
    {
        using var held = await cluster.Http(0).PostJsonAsync($"{path}/acquire", new { owner = "holder", ttl = "2m" });
        var holder = await held.OkAsync<LockGrantResponse>();
        var waiterClient = cluster.NewClient(1);
        var waiting = waiterClient.PostJsonAsync($"{path}/acquire", new { owner = "gone", ttl = "2m", wait = "50s" }, hangUp);
        await WaitForWaitersAsync(path, 1);
        return (holder, waiterClient, waiting);
    }

    private Task WaitForWaitersAsync(string path, int count) =>
        Eventually.ReturnsAsync(
            async () => (await (await cluster.Http(0).GetAsync(path)).OkAsync<LockStatusResponse>()).Waiters,
            waiters => waiters == count,
            $"{count} waiter(s) on {path}");
}
