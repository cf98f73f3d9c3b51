using System.Net;
using LockService.Http;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Npgsql;

namespace LockService.Tests.Http;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c>: up and ready on a healthy cluster; not ready while PostgreSQL refuses
/// connections, ready again after; and on SIGTERM not ready and every open long-poll ended with 503 before the silo
/// leaves the cluster.
/// </summary>
public sealed class HttpHealthTests
{
    [Fact]
    public async Task A_silo_with_reachable_storage_is_up_and_ready_and_signs_its_answers()
    {
        await using var silo = await HttpSilos.StartAsync("locks_http_health", count: 1);
        using var client = silo.Client(0);

        using var healthz = await client.GetAsync("healthz");
        using var readyz = await client.GetAsync("readyz");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (healthz.StatusCode, readyz.StatusCode));
        Assert.Equal((HttpClusterFixture.SiloName(0), HttpClusterFixture.SiloName(0)), (healthz.ServedBy(), readyz.ServedBy()));
    }

    [Fact]
    public async Task Readyz_fails_while_the_database_refuses_connections_and_recovers_after()
    {
        await using var silo = await HttpSilos.StartAsync("locks_http_ready", count: 1);
        using var client = silo.Client(0);
        var database = new NpgsqlConnectionStringBuilder(silo.Group.ConnectionString).Database!;
        // Active before the outage, so its grant below is refused at the write (fail closed), not at activation.
        var path = $"v1/locks/{LockNames.Unique("http-outage")}";
        using var before = await client.GetAsync(path);
        await before.OkAsync<LockStatusResponse>();

        await SetConnectionsAllowedAsync(database, allowed: false);
        try
        {
            await Eventually.ReturnsAsync(async () => (await client.GetAsync("readyz")).StatusCode, status => status == HttpStatusCode.ServiceUnavailable, "readyz to fail");
            using var healthz = await client.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);

            using var refused = await client.PostJsonAsync($"{path}/acquire", new { owner = "during-outage", ttl = "30s" });
            await refused.ProblemAsync(HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {refused.Headers.RetryAfter}");
        }
        finally
        {
            await SetConnectionsAllowedAsync(database, allowed: true);
        }

        await Eventually.ReturnsAsync(async () => (await client.GetAsync("readyz")).StatusCode, status => status == HttpStatusCode.OK, "readyz to recover");
        // Nothing was granted during the outage.
        var state = await (await client.GetAsync(path)).OkAsync<LockStatusResponse>();
        Assert.Null(state.Holder);
        Assert.Equal(0L, state.FencingToken);
    }

    [Fact]
    public async Task On_SIGTERM_readyz_fails_and_an_open_long_poll_ends_with_503_and_Retry_After_before_the_silo_leaves()
    {
        // A drain long enough to see /readyz fail on a loaded machine.
        await using var silos = await HttpSilos.StartAsync("locks_http_stop", count: 2, extra: ["--Http:ShutdownDrainDelay", "00:00:10"]);
        using var stopping = silos.Client(0);
        using var survivor = silos.Client(1);
        var path = $"v1/locks/{LockNames.Unique("http-sigterm")}";
        using var held = await survivor.PostJsonAsync($"{path}/acquire", new { owner = "holder", ttl = "2m" });
        var holder = await held.OkAsync<LockGrantResponse>();
        var waiting = stopping.PostJsonAsync($"{path}/acquire", new { owner = "waiter", ttl = "2m", wait = "50s" });
        await Eventually.ReturnsAsync(
            async () => (await (await survivor.GetAsync(path)).OkAsync<LockStatusResponse>()).Waiters,
            waiters => waiters == 1,
            "the long-poll queued");

        silos.Group.Slots[0].Process!.Terminate();

        using var ended = await waiting;
        await ended.ProblemAsync(HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.True(ended.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {ended.Headers.RetryAfter}");
        using var readyz = await stopping.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Equal(0, await silos.Group.Slots[0].Process!.WaitForExitAsync(TimeSpan.FromSeconds(90)));

        // The waiter was withdrawn, not left in the queue to be granted a lock nobody receives.
        var state = await (await survivor.GetAsync(path)).OkAsync<LockStatusResponse>();
        Assert.Equal(("holder", holder.FencingToken, 0), (state.Holder, state.FencingToken, state.Waiters));
    }

    private static async Task SetConnectionsAllowedAsync(string database, bool allowed)
    {
        await using var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString);
        await admin.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {(allowed ? "true" : "false")}", admin))
        {
            await alter.ExecuteNonQueryAsync();
        }

        if (!allowed)
        {
            // Open pooled connections would keep answering: end them, as a database restart would.
            await using var terminate = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()", admin);
            terminate.Parameters.AddWithValue("database", database);
            await terminate.ExecuteScalarAsync();
        }
    }
}
