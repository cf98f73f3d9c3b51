using LockService.Client;
using LockService.Testing;
using System.Text.Json;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cluster;

/// <summary>
/// The safety argument of the lazily durable release (LockGrain.LazyRelease.cs), tested the hard way: the silo process
/// that holds an unwritten release is killed with SIGKILL, and a new silo on the same database must neither grant the
/// lock to anyone before the released lease ends nor reuse a fencing token.
/// </summary>
public sealed class LazyReleaseSiloKillTests
{
    // Long enough for a new silo process to come up on a busy 2-core machine before the lease ends, so there is a
    // window in which a wrong grant could happen and be seen.
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_release_lost_with_a_killed_silo_delays_the_next_grant_until_the_lease_ends_and_the_token_still_grows()
    {
        var database = await TestDatabase.CreateAsync("locks_lazy_kill");
        var serviceId = $"lazy-kill-{Guid.NewGuid():N}";
        var name = LockNames.Unique("lazy-kill");
        // A write delay far longer than the test's first half: the release is certainly unwritten when the silo dies.
        var lazy = new Dictionary<string, string> { ["LOCKSILO_LockGrains__ReleaseWriteDelay"] = "00:01:00" };

        LockResult grant;
        var firstCluster = $"lazy-a-{Guid.NewGuid():N}";
        await using (var first = SiloProcess.Start(database, firstCluster, serviceId, environment: lazy))
        {
            await first.WaitUntilReadyAsync();
            await using (var client = await LockClientConnection.ConnectAsync(o =>
                         {
                             o.Gateways.Add(first.Gateway);
                             (o.ClusterId, o.ServiceId) = (firstCluster, serviceId);
                         }))
            {
                var grain = client.Grains.GetGrain<ILockGrain>(name);
                var lease = LeaseIds.New();
                grant = await grain.TryAcquire("server-1", lease, Ttl);
                Assert.Equal(LockOutcome.Granted, grant.Outcome);
                Assert.Equal(LockOutcome.Released, (await grain.ReleaseLease(lease)).Outcome);
                Assert.False((await grain.Describe()).IsHeld);
            }

            Assert.Equal("server-1", await StoredHolderAsync(database, name));
            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        // A new cluster on the same database and service: the lock's next activation knows only what storage says.
        var secondCluster = $"lazy-b-{Guid.NewGuid():N}";
        await using var second = SiloProcess.Start(database, secondCluster, serviceId);
        await second.WaitUntilReadyAsync();
        await using var secondClient = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(second.Gateway);
            (o.ClusterId, o.ServiceId) = (secondCluster, serviceId);
        });
        var again = secondClient.Grains.GetGrain<ILockGrain>(name);

        var refusals = 0;
        while (true)
        {
            var attempt = await again.TryAcquire("server-2", LeaseIds.New(), Ttl);
            if (attempt.Outcome == LockOutcome.Granted)
            {
                Assert.True(attempt.AcquiredAt >= grant.ExpiresAt,
                    $"granted at {attempt.AcquiredAt:o}, before the released lease of server-1 ended at {grant.ExpiresAt:o}");
                Assert.Equal(grant.FencingToken + 1, attempt.FencingToken);
                break;
            }

            Assert.Equal(LockOutcome.Busy, attempt.Outcome);
            Assert.Equal("server-1", attempt.Holder);
            Assert.Equal(grant.FencingToken, attempt.FencingToken);
            refusals++;
            Assert.True(DateTimeOffset.UtcNow < grant.ExpiresAt + TimeSpan.FromSeconds(30), "the lock was not granted again after the lease ended");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.True(refusals > 0, "the new silo served only after the lease had ended, so this run proved nothing; raise the TTL");
    }

    private static async Task<string?> StoredHolderAsync(string database, string lockName)
    {
        var json = await TestDatabase.ScalarAsync<string>(database,
            "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE grainidextensionstring = @name", ("name", lockName));
        return JsonDocument.Parse(json).RootElement.TryGetProperty("holder", out var holder) && holder.ValueKind == JsonValueKind.String
            ? holder.GetString()
            : null;
    }
}
