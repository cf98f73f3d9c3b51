using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// The standard-library Python examples (examples/*.py) as users run them, against the three silos through nginx:
/// seed 000's cron job runs once across nodes, seed 002's with_lock refuses a second holder, seed 001's worker drains a queue.
/// </summary>
[Collection(KeyedHttpClusterCollection.Name)]
public sealed class PythonExamplesTests(KeyedHttpClusterFixture cluster)
{
    [Fact]
    public async Task Of_two_cron_lock_nodes_started_together_exactly_one_runs_the_job()
    {
        var name = LockNames.Unique("cron");
        var nodes = new[] { "node-a", "node-b" }
            .Select(node => RunAsync("cron_lock.py", "--name", name, "--every", "600", "--once", "--owner", node))
            .ToArray();
        var results = await Task.WhenAll(nodes);

        Assert.All(results, result => Assert.True(result.ExitCode == 0, $"cron_lock.py failed ({result.ExitCode}): {result.Stdout}\n{result.Stderr}"));
        var outputs = string.Join("\n", results.Select(result => result.Stdout + result.Stderr));
        Assert.True(results.Count(result => result.Stdout.Contains("runs the job", StringComparison.Ordinal)) == 1, $"not exactly one node ran the job:\n{outputs}");
        Assert.True(results.Count(result => result.Stdout.Contains("skipped", StringComparison.Ordinal)) == 1, $"not exactly one node skipped:\n{outputs}");
    }

    [Fact]
    public async Task With_lock_runs_the_command_under_the_lock_and_a_second_holder_is_refused_with_75()
    {
        var name = LockNames.Unique("with-lock");
        var marker = Path.Combine(Path.GetTempPath(), $"{name}.started");
        var release = Path.Combine(Path.GetTempPath(), $"{name}.release");
        try
        {
            // The first holds the lock until the test lets it go, so the second surely asks while it is held.
            var job = $"echo token=$LOCK_FENCING_TOKEN; touch {marker}; i=0; while [ ! -e {release} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done";
            var first = RunAsync("with_lock.py", name, "--ttl", "6", "--", "sh", "-c", job);
            await LockService.Testing.Eventually.ReturnsAsync(() => Task.FromResult(File.Exists(marker) || first.IsCompleted), ready => ready, "the first job to start");
            var second = await RunAsync("with_lock.py", name, "--", "sh", "-c", "echo second ran");
            File.WriteAllText(release, "");
            var held = await first;

            Assert.Equal(75, second.ExitCode);
            Assert.DoesNotContain("second ran", second.Stdout);
            Assert.True(held.ExitCode == 0, $"with_lock.py failed ({held.ExitCode}): {held.Stdout}\n{held.Stderr}");
            Assert.Contains("token=", held.Stdout);
        }
        finally
        {
            File.Delete(marker);
            File.Delete(release);
        }
    }

    [Fact]
    public async Task The_worker_completes_every_task_of_a_queue_once()
    {
        var queue = LockNames.Unique("worker");
        using var client = cluster.ThroughNginx(cluster.QueueKey);
        var payloads = Enumerable.Range(1, 5).Select(i => new { payload = $"job {i}" }).ToArray();
        await (await client.PostJsonAsync($"/v1/queues/{queue}/tasks", new { tasks = payloads })).JsonAsync();

        var worker = await RunAsync("worker.py", "--queue", queue, "--worker", "py-worker", "--max-tasks", "5", "--", "sh", "-c", "cat >/dev/null");

        Assert.True(worker.ExitCode == 0, $"worker.py failed ({worker.ExitCode}): {worker.Stdout}\n{worker.Stderr}");
        var stats = await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync();
        Assert.Equal((0L, 0L, 5L), (stats.GetProperty("pending").GetInt64(), stats.GetProperty("claimed").GetInt64(), stats.GetProperty("done").GetInt64()));
        Assert.Equal(5L, stats.GetProperty("completedByWorker").GetProperty("py-worker").GetInt64());
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string example, params string[] arguments) =>
        // As a user's shell would have it after `. .cluster/env`, with a key that has the scopes the examples need.
        ChildProcess.RunAsync(
            "python3",
            [Path.Combine(RepositoryPaths.Root, "examples", example), .. arguments],
            new Dictionary<string, string> { ["LOCKHTTP_URL"] = cluster.Nginx.Url.ToString(), ["LOCKHTTP_KEY"] = cluster.AdminKey });
}
