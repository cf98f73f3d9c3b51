using System.Text.Json;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cli;

/// <summary>
/// <c>lockctl work</c> and <c>lockctl queue …</c> (issue #14), the built binary against a real cluster of silo
/// processes on PostgreSQL.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LockctlQueueTests(ProcessClusterFixture cluster)
{
    private const int NoTask = 75;
    private const int Usage = 64;

    private IReadOnlyDictionary<string, string> Env => cluster.LockctlEnvironment;

    [Fact]
    public async Task Enqueue_takes_arguments_and_stdin_lines_and_stats_counts_them()
    {
        var name = LockNames.Unique("cli-q-enqueue");
        var fromArguments = await Lockctl.RunAsync(Env, "queue", "enqueue", name, "first", "second task");
        Assert.Equal(0, fromArguments.ExitCode);
        var fromStdin = await Lockctl.RunWithInputAsync(Env, "third\n\nfourth\n", "queue", "enqueue", name, "-");
        Assert.Equal(0, fromStdin.ExitCode);
        var ids = Lines(fromArguments.Stdout).Concat(Lines(fromStdin.Stdout)).ToList();
        Assert.Equal(4, ids.Distinct().Count());

        var keyed = await Lockctl.RunAsync(Env, "queue", "enqueue", name, "fifth", "--key", "job-5");
        var again = await Lockctl.RunAsync(Env, "queue", "enqueue", name, "fifth", "--key", "job-5");
        Assert.Equal((0, 0), (keyed.ExitCode, again.ExitCode));
        Assert.Equal(keyed.Stdout, again.Stdout);

        var stats = await Lockctl.RunAsync(Env, "queue", "stats", name);
        Assert.Equal(0, stats.ExitCode);
        Assert.Contains($"queue '{name}': 5 pending, 0 claimed, 0 done, 0 dead", stats.Stdout);
    }

    [Fact]
    public async Task Work_runs_the_command_with_the_payload_on_stdin_and_the_task_environment_and_completes_on_exit_0()
    {
        var name = LockNames.Unique("cli-q-work");
        var id = Lines((await Lockctl.RunAsync(Env, "queue", "enqueue", name, "line one\nline two")).Stdout).Single();

        var work = await Lockctl.RunAsync(Env, "work", name, "--worker", "node-a", "--", "sh", "-c", "echo \"$TASK_QUEUE $TASK_ID $TASK_CLAIM_TOKEN $TASK_ATTEMPT\"; cat");
        Assert.Equal(0, work.ExitCode);
        Assert.Equal([$"{name} {id} 1 1", "line one", "line two"], Lines(work.Stdout));

        var stats = await Lockctl.RunAsync(Env, "queue", "stats", name, "--json");
        using var json = JsonDocument.Parse(stats.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("done").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("pending").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("completedByWorker").GetProperty("node-a").GetInt64());
    }

    [Fact]
    public async Task A_failing_command_abandons_its_task_which_comes_back_for_the_next_run()
    {
        var name = LockNames.Unique("cli-q-fail");
        var id = Lines((await Lockctl.RunAsync(Env, "queue", "enqueue", name, "flaky")).Stdout).Single();

        var failed = await Lockctl.RunAsync(Env, "work", name, "--", "sh", "-c", "exit 3");
        Assert.Equal(3, failed.ExitCode);
        await Eventually.ReturnsAsync(
            () => Lockctl.RunAsync(Env, "queue", "stats", name),
            stats => stats.Stdout.Contains($"queue '{name}': 1 pending, 0 claimed, 0 done", StringComparison.Ordinal),
            "the abandoned task to be pending");

        var retried = await Lockctl.RunAsync(Env, "work", name, "--wait", "30s", "--", "sh", "-c", "echo \"$TASK_ID $TASK_ATTEMPT $TASK_CLAIM_TOKEN\"");
        Assert.Equal(0, retried.ExitCode);
        Assert.Equal($"{id} 2 2", retried.Stdout.Trim());
        Assert.Contains($"queue '{name}': 0 pending, 0 claimed, 1 done", (await Lockctl.RunAsync(Env, "queue", "stats", name)).Stdout);
    }

    [Fact]
    public async Task Work_with_no_task_exits_75_without_running_the_command()
    {
        var name = LockNames.Unique("cli-q-empty");
        var now = await Lockctl.RunAsync(Env, "work", name, "--", "echo", "must not run");
        Assert.Equal(NoTask, now.ExitCode);
        Assert.Contains($"queue '{name}' has no pending task", now.Stderr);

        var waited = await Lockctl.RunAsync(Env, "work", name, "--wait", "1s", "--", "echo", "must not run");
        Assert.Equal(NoTask, waited.ExitCode);
        Assert.DoesNotContain("must not run", now.Stdout + waited.Stdout);
    }

    [Fact]
    public async Task A_waiting_work_run_gets_the_task_enqueued_after_it_started()
    {
        var name = LockNames.Unique("cli-q-wait");
        await using var waiting = Lockctl.Start(Env, "work", name, "--wait", "2m", "--", "cat");
        await Eventually.ReturnsAsync(
            () => Lockctl.RunAsync(Env, "queue", "stats", name),
            stats => stats.Stdout.Contains("1 waiting claimers", StringComparison.Ordinal),
            "the work run to wait for a task");

        await Lockctl.RunAsync(Env, "queue", "enqueue", name, "arrived");
        Assert.Equal(0, await waiting.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal("arrived", waiting.Stdout.Trim());
    }

    [Fact]
    public async Task A_script_claims_and_completes_and_a_wrong_lease_id_is_refused()
    {
        var name = LockNames.Unique("cli-q-script");
        await Lockctl.RunAsync(Env, "queue", "enqueue", name, "script job");

        var claim = await Lockctl.RunAsync(Env, "queue", "claim", name, "--ttl", "1m");
        Assert.Equal(0, claim.ExitCode);
        var lines = Lines(claim.Stdout);
        var (taskId, token) = (lines[0].Split(' ')[0], lines[0].Split(' ')[1]);
        Assert.Equal("1", token);
        Assert.Equal("script job", lines[2]);

        var wrong = await Lockctl.RunAsync(Env, "queue", "complete", name, taskId, "--lease-id", LeaseIds.New());
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("not the task's current claim", wrong.Stderr);

        var complete = await Lockctl.RunAsync(Env, "queue", "complete", name, taskId, "--lease-id", lines[1]);
        Assert.Equal(0, complete.ExitCode);
        var again = await Lockctl.RunAsync(Env, "queue", "complete", name, taskId, "--lease-id", lines[1]);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"queue '{name}': 0 pending, 0 claimed, 1 done", (await Lockctl.RunAsync(Env, "queue", "stats", name)).Stdout);
        Assert.Equal(NoTask, (await Lockctl.RunAsync(Env, "queue", "claim", name)).ExitCode);
    }

    [Fact]
    public async Task A_task_that_fails_every_attempt_is_listed_dead_and_retry_brings_it_back()
    {
        var name = LockNames.Unique("cli-q-dead");
        var id = Lines((await Lockctl.RunAsync(Env, "queue", "enqueue", name, "poison")).Stdout).Single();
        var attempts = 0;
        // Each run waits a little for the task to come back from the run before; once it is dead, none comes (75).
        while ((await Lockctl.RunAsync(Env, "work", name, "--wait", "5s", "--", "sh", "-c", "exit 9")).ExitCode == 9)
        {
            attempts++;
            Assert.InRange(attempts, 1, 20);
        }

        var dead = await Lockctl.RunAsync(Env, "queue", "dead", name);
        Assert.Equal(0, dead.ExitCode);
        Assert.Contains($"queue '{name}': 1 dead task", dead.Stdout);
        Assert.Contains($"{id}: {attempts} attempts, last error: the command exited with status 9; payload: poison", dead.Stdout);

        var retry = await Lockctl.RunAsync(Env, "queue", "retry", name, id);
        Assert.Equal(0, retry.ExitCode);
        var rerun = await Lockctl.RunAsync(Env, "work", name, "--wait", "30s", "--", "cat");
        Assert.Equal((0, "poison"), (rerun.ExitCode, rerun.Stdout.Trim()));
    }

    [Theory]
    [InlineData("payload", "queue", "enqueue", "some-queue", "")]
    [InlineData("--key names one task", "queue", "enqueue", "some-queue", "a", "b", "--key", "k")]
    [InlineData("needs one or more payloads", "queue", "enqueue", "some-queue")]
    [InlineData("task id", "queue", "complete", "some-queue", "not-a-task", "--lease-id", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("lease id", "queue", "complete", "some-queue", "0-1", "--lease-id", "short")]
    [InlineData("--ttl", "work", "some-queue", "--ttl", "0", "--", "true")]
    [InlineData("queue name", "work", " ", "--", "true")]
    public async Task Bad_queue_input_is_a_usage_error_naming_the_rule(string rule, params string[] arguments)
    {
        var run = await Lockctl.RunAsync(Env, arguments);
        Assert.Equal(Usage, run.ExitCode);
        Assert.Contains(rule, run.Stderr);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
