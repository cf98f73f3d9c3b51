using System.Net;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// API keys and scopes over real HTTP on real silos: without a key or with an unknown one 401, with a key lacking the
/// route's scope 403, with the right scope (or admin) the call goes through; only health and OpenAPI are anonymous.
/// </summary>
[Collection(KeyedHttpClusterCollection.Name)]
public sealed class HttpAuthTests(KeyedHttpClusterFixture cluster)
{
    private HttpClient Silo(string? key) => cluster.Silo(0, key);

    public static TheoryData<string, string> ProtectedRoutes => new()
    {
        { "GET", "/v1/queues/{0}/stats" },
        { "POST", "/v1/queues/{0}/claim" },
        { "GET", "/v1/locks/{0}/watch" },
        { "POST", "/v1/queues/{0}/purge" },
        { "GET", "/v1/no-such-route" },
    };

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task Without_a_key_every_route_but_health_and_openapi_is_refused_with_401(string method, string route)
    {
        using var client = Silo(key: null);
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(route, LockNames.Unique("auth"))));

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task An_unknown_key_is_refused_with_401_and_is_never_logged()
    {
        var unknown = $"not-a-key-{Guid.NewGuid():N}";
        using var client = Silo(unknown);
        using var response = await client.GetAsync($"/v1/queues/{LockNames.Unique("auth")}/stats");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("not one this service knows", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(unknown, problem.ToString());
        foreach (var silo in cluster.Silos)
        {
            Assert.DoesNotContain(unknown, silo.Output);
            Assert.DoesNotContain(cluster.AdminKey, silo.Output);
        }
    }

    [Fact]
    public async Task A_key_without_the_routes_scope_is_refused_with_403_naming_the_scope()
    {
        var queue = LockNames.Unique("auth-scope");
        using (var lockOnly = Silo(cluster.LockKey))
        using (var response = await lockOnly.GetAsync($"/v1/queues/{queue}/stats"))
        {
            var problem = await response.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("queue", problem.GetProperty("detail").GetString());
        }

        using (var queueOnly = Silo(cluster.QueueKey))
        using (var response = await queueOnly.GetAsync($"/v1/locks/{queue}/watch"))
        {
            var problem = await response.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("lock", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_right_scope_or_admin_passes_and_admin_routes_need_admin()
    {
        var queue = LockNames.Unique("auth-admin");
        using var queueOnly = Silo(cluster.QueueKey);
        using var admin = Silo(cluster.AdminKey);

        await (await queueOnly.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync();
        await (await admin.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync();

        // Purge and retry are operator calls: the queue scope is not enough.
        await (await queueOnly.PostAsync($"/v1/queues/{queue}/purge", null)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await queueOnly.PostAsync($"/v1/queues/{queue}/tasks/0-0/retry", null)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var purged = await (await admin.PostAsync($"/v1/queues/{queue}/purge", null)).JsonAsync();
        Assert.Equal(0L, purged.GetProperty("purged").GetInt64());
    }

    [Fact]
    public async Task Operator_routes_of_locks_and_semaphores_need_admin_and_admin_also_passes_the_lock_scope()
    {
        var name = LockNames.Unique("auth-force");
        using var lockOnly = Silo(cluster.LockKey);
        using var admin = Silo(cluster.AdminKey);
        await (await lockOnly.PostJsonAsync($"/v1/locks/{name}/acquire", new { ttl = "60s" })).JsonAsync();

        await (await lockOnly.PostAsync($"/v1/locks/{name}/force-release", null)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await admin.PostAsync($"/v1/locks/{name}/force-release", null)).JsonAsync();
        await (await admin.GetAsync($"/v1/locks/{name}")).JsonAsync();

        // A semaphore's own calls need the lock scope; changing its limit is an operator's.
        var slot = await (await lockOnly.PostJsonAsync($"/v1/semaphores/{name}/acquire", new { max = 2, ttl = "60s" })).JsonAsync();
        await (await lockOnly.PostJsonAsync($"/v1/semaphores/{name}/release", new { leaseId = slot.GetProperty("leaseId").GetString() })).JsonAsync();
        await (await lockOnly.PostJsonAsync($"/v1/semaphores/{name}/limit", new { max = 3 })).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await admin.PostJsonAsync($"/v1/semaphores/{name}/limit", new { max = 3 })).JsonAsync();
    }

    [Fact]
    public async Task The_lock_scope_reaches_the_lock_routes()
    {
        using var lockOnly = Silo(cluster.LockKey);
        using var watch = await lockOnly.GetAsync($"/v1/locks/{LockNames.Unique("auth-lock")}/watch", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
        Assert.Equal("text/event-stream", watch.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    public async Task Health_and_the_openapi_document_need_no_key(string path)
    {
        using var client = Silo(key: null);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_silo_refuses_to_serve_a_non_loopback_address_without_keys_unless_told_insecure_http()
    {
        var port = FreePorts.Take(1)[0];
        await using var refused = SiloProcess.Start(null, $"auth-{Guid.NewGuid():N}", "auth", extraArguments: ["--http-port", $"{port}", "--http-address", "0.0.0.0"]);
        Assert.NotEqual(0, await refused.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Contains("not loopback and no API keys are configured", refused.Output);
        Assert.Contains("--insecure-http", refused.Output);

        await using var insecure = SiloProcess.Start(null, $"auth-{Guid.NewGuid():N}", "auth", extraArguments: ["--http-port", $"{port}", "--http-address", "0.0.0.0", "--insecure-http"]);
        await insecure.WaitUntilReadyAsync();
        using var client = HttpApi.Client(new Uri($"http://127.0.0.1:{port}/"));
        await HttpApi.WaitUntilReadyAsync(client);
    }

    [Fact]
    public async Task A_silo_refuses_a_key_that_is_not_a_sha256_hash_or_a_scope_it_does_not_know()
    {
        var key = $"pasted-key-{Guid.NewGuid():N}";
        await using var silo = SiloProcess.Start(null, $"auth-{Guid.NewGuid():N}", "auth", extraArguments:
        [
            "--http-port", $"{FreePorts.Take(1)[0]}",
            "--Http:ApiKeys:0:Sha256", key, "--Http:ApiKeys:0:Scopes:0", "queue",
            "--Http:ApiKeys:1:Sha256", KeyedHttpClusterFixture.Sha256(key), "--Http:ApiKeys:1:Scopes:0", "superuser",
        ]);

        Assert.NotEqual(0, await silo.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Contains("ApiKeys:0:Sha256 must be the key's SHA-256 as 64 hex digits", silo.Output);
        Assert.Contains("'superuser' is not a scope", silo.Output);
        Assert.DoesNotContain(key, silo.Output);
    }
}
