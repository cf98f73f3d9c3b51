using System.Net;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// Real nginx in front of three silos, configured by scripts/lib/nginx.sh from deploy/nginx/ as
/// <c>scripts/cluster.sh start --nginx</c> runs it: round-robin over every silo, long-polls passed through, and
/// seed 001's demo (examples/grab_tasks.py) run against it.
/// </summary>
[Collection(KeyedHttpClusterCollection.Name)]
public sealed class HttpNginxTests(KeyedHttpClusterFixture cluster)
{
    [Fact]
    public async Task Requests_through_nginx_are_spread_over_all_three_silos()
    {
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 9; i++)
        {
            using var response = await client.GetAsync($"/v1/queues/{LockNames.Unique("nginx-spread")}/stats");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servedBy.Add(response.ServedBy());
        }

        Assert.Equal(Enumerable.Range(0, 3).Select(HttpClusterFixture.SiloName), servedBy.Order());
    }

    [Fact]
    public async Task A_long_poll_through_nginx_is_held_open_and_answered_by_the_grant()
    {
        var queue = LockNames.Unique("nginx-longpoll");
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        var waiting = client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s", wait = "50s" });
        await Eventually(async () => (await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync()).GetProperty("waitingClaimers").GetInt32() == 1);
        Assert.False(waiting.IsCompleted, "the long-poll was answered before any task existed");

        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "through nginx" } } })).JsonAsync();
        var claimed = await (await waiting).JsonAsync();
        Assert.Equal("through nginx", claimed.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Seed_001s_demo_through_nginx_hands_15_concurrent_grabs_15_different_tasks_from_all_three_silos()
    {
        var (exitCode, text, errors) = await ChildProcess.RunAsync(
            "python3",
            [Path.Combine(RepositoryPaths.Root, "examples", "grab_tasks.py"), "--queue", LockNames.Unique("seed-001"), "--expect-silos", "3", "--url", cluster.Nginx.Url.ToString()],
            new Dictionary<string, string> { ["LOCKHTTP_KEY"] = cluster.AdminKey });

        Assert.True(exitCode == 0, $"grab_tasks.py failed ({exitCode}):\n{text}\n{errors}");
        Assert.Contains("successful: 15", text);
        Assert.Contains("distinct:   15", text);
        foreach (var silo in Enumerable.Range(0, 3).Select(HttpClusterFixture.SiloName))
        {
            Assert.Contains(silo, text);
        }
    }

    private static Task Eventually(Func<Task<bool>> condition) =>
        LockService.Testing.Eventually.ReturnsAsync(condition, met => met, "the claimer to wait in the queue");
}
