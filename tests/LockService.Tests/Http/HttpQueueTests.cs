using System.Net;
using System.Text.Json;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>The work-queue routes over real HTTP on three silos (through nginx unless a test says otherwise).</summary>
[Collection(KeyedHttpClusterCollection.Name)]
public sealed class HttpQueueTests(KeyedHttpClusterFixture cluster)
{
    [Fact]
    public async Task A_task_is_enqueued_claimed_extended_and_completed()
    {
        var queue = LockNames.Unique("http-queue");
        using var client = cluster.ThroughNginx(cluster.QueueKey);

        var enqueued = await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "mail 1" } } })).JsonAsync();
        var taskId = enqueued.GetProperty("taskIds")[0].GetString()!;

        var claimed = await (await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s" })).JsonAsync();
        Assert.Equal(taskId, claimed.GetProperty("taskId").GetString());
        Assert.Equal("mail 1", claimed.GetProperty("payload").GetString());
        Assert.Equal(1, claimed.GetProperty("attempt").GetInt32());
        Assert.True(claimed.GetProperty("claimToken").GetInt64() > 0);
        Assert.EndsWith("Z", claimed.GetProperty("expiresAt").GetString());
        var leaseId = claimed.GetProperty("leaseId").GetString()!;

        var extended = await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks/{taskId}/extend", new { leaseId, leaseTtl = "2m" })).JsonAsync();
        Assert.True(extended.GetProperty("expiresAt").GetDateTime() > claimed.GetProperty("expiresAt").GetDateTime());

        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks/{taskId}/complete", new { leaseId })).JsonAsync();
        var stats = await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync();
        Assert.Equal((0L, 0L, 1L), (stats.GetProperty("pending").GetInt64(), stats.GetProperty("claimed").GetInt64(), stats.GetProperty("done").GetInt64()));
        Assert.Equal(1L, stats.GetProperty("completedByWorker").GetProperty("w1").GetInt64());
    }

    [Fact]
    public async Task An_empty_queue_answers_204_and_a_long_poll_is_answered_by_the_task_enqueued_meanwhile()
    {
        var queue = LockNames.Unique("http-longpoll");
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        using (var empty = await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s", wait = "0s" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        }

        var waiting = client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s", wait = "50s" });
        await WaitForClaimersAsync(client, queue, 1);
        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "late" } } })).JsonAsync();

        var claimed = await (await waiting).JsonAsync();
        Assert.Equal("late", claimed.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task A_claimer_that_disconnects_leaves_the_line_and_takes_no_task_with_it()
    {
        var queue = LockNames.Unique("http-disconnect");
        using var client = KeyedHttpClusterFixture.Client(cluster.SiloUrls[1], cluster.QueueKey);
        using (var leaving = new CancellationTokenSource())
        {
            var waiting = client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "gone", leaseTtl = "5m", wait = "50s" }, leaving.Token);
            await WaitForClaimersAsync(client, queue, 1);
            leaving.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        await WaitForClaimersAsync(client, queue, 0);
        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "for the one still here" } } })).JsonAsync();
        var claimed = await (await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "here", leaseTtl = "30s" })).JsonAsync();
        Assert.Equal("for the one still here", claimed.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task A_retried_claim_with_the_same_lease_id_gets_the_same_task_never_a_second()
    {
        var queue = LockNames.Unique("http-retry");
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "a" }, new { payload = "b" } } })).JsonAsync();
        var leaseId = LeaseIds.New();

        var first = await (await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s", leaseId })).JsonAsync();
        var again = await (await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s", leaseId })).JsonAsync();

        Assert.Equal(first.GetProperty("taskId").GetString(), again.GetProperty("taskId").GetString());
        Assert.Equal(leaseId, again.GetProperty("leaseId").GetString());
        var stats = await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync();
        Assert.Equal((1L, 1L), (stats.GetProperty("pending").GetInt64(), stats.GetProperty("claimed").GetInt64()));
    }

    [Fact]
    public async Task A_lost_lease_is_409_lease_lost_and_an_abandoned_task_can_be_listed_retried_and_purged()
    {
        var queue = LockNames.Unique("http-lost");
        using var client = cluster.ThroughNginx(cluster.AdminKey);
        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = new[] { new { payload = "p", key = "k1" } } })).JsonAsync();
        var claimed = await (await client.PostJsonAsync($"/v1/queues/{queue}/claim", new { worker = "w1", leaseTtl = "30s" })).JsonAsync();
        var taskId = claimed.GetProperty("taskId").GetString()!;

        var lost = await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks/{taskId}/complete", new { leaseId = LeaseIds.New() })).ProblemAsync(HttpStatusCode.Conflict, "lease-lost");
        Assert.Contains(taskId, lost.GetProperty("detail").GetString());

        var abandoned = await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks/{taskId}/abandon", new { leaseId = claimed.GetProperty("leaseId").GetString(), error = "smtp down" })).JsonAsync();
        Assert.True(abandoned.GetProperty("abandoned").GetBoolean());

        var page = await (await client.GetAsync($"/v1/queues/{queue}/tasks?status=pending&limit=10")).JsonAsync();
        var task = Assert.Single(page.GetProperty("tasks").EnumerateArray());
        Assert.Equal(("pending", "smtp down", "k1"), (task.GetProperty("status").GetString(), task.GetProperty("lastError").GetString(), task.GetProperty("key").GetString()));
        Assert.False(task.TryGetProperty("leaseId", out _));

        // Retry is for dead tasks only: the rule comes back as a validation problem.
        await (await client.PostAsync($"/v1/queues/{queue}/tasks/{taskId}/retry", null)).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        var purged = await (await client.PostAsync($"/v1/queues/{queue}/purge", null)).JsonAsync();
        Assert.Equal(1L, purged.GetProperty("purged").GetInt64());
    }

    public static TheoryData<string, object, string, string> BadInputs => new()
    {
        { "claim", new { worker = "w", leaseTtl = "30s", wait = "56s" }, "wait", "at most 55s" },
        { "claim", new { worker = "w", leaseTtl = "soon" }, "leaseTtl", "must be a positive duration" },
        { "claim", new { worker = "w", leaseTtl = "0s" }, "leaseTtl", "must be a positive duration" },
        { "claim", new { leaseTtl = "30s" }, "worker", "must not be empty" },
        { "claim", new { worker = "w", leaseTtl = "30s", leaseId = "short" }, "leaseId", "at least 22 characters" },
        { "tasks", new { tasks = Array.Empty<object>() }, "tasks", "at least one task" },
        { "tasks", new { tasks = new[] { new { payload = "" } } }, "tasks", "task 0" },
        { "tasks/nonsense/complete", new { leaseId = LeaseIds.New() }, "taskId", "'{segment}-{index}'" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_400_problem_naming_the_field_and_its_rule(string route, object body, string field, string rule)
    {
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        using var response = await client.PostJsonAsync($"/v1/queues/{LockNames.Unique("http-bad")}/{route}", body);
        Assert.Contains(rule, await response.ValidationRuleAsync(field));
    }

    [Fact]
    public async Task A_bad_listing_query_is_a_400_problem_naming_the_parameter()
    {
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        var queue = LockNames.Unique("http-bad-list");
        Assert.Contains("pending, claimed, done, dead", await (await client.GetAsync($"/v1/queues/{queue}/tasks?status=lost")).ValidationRuleAsync("status"));
        Assert.Contains("1 to 100", await (await client.GetAsync($"/v1/queues/{queue}/tasks?limit=1000")).ValidationRuleAsync("limit"));
    }

    private static Task WaitForClaimersAsync(HttpClient client, string queue, int count) =>
        Eventually.ReturnsAsync(
            async () => (await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync()).GetProperty("waitingClaimers").GetInt32(),
            waiting => waiting == count,
            $"{count} claimers waiting in queue {queue}");
}
