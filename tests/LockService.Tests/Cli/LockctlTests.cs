using System.Text.Json;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cli;

/// <summary>The built lockctl binary against a real cluster of silo processes on PostgreSQL.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LockctlTests(ProcessClusterFixture cluster)
{
    private const int Busy = 75;
    private const int Usage = 64;
    private const int Unavailable = 69;
    private const int LockLost = 76;

    private IReadOnlyDictionary<string, string> Env => cluster.LockctlEnvironment;

    [Fact]
    public async Task Of_two_concurrent_runs_exactly_one_runs_and_the_other_exits_75_at_once()
    {
        var name = LockNames.Unique("cli-backup");
        // The job holds the lock until the test lets it go, which it does only once the other run has exited: so the
        // two runs overlap however slowly a loaded machine starts the second process (seen in CI: with a fixed 2 s job
        // the second lockctl only asked after the first had finished, and both ran).
        var finish = Path.Combine(Path.GetTempPath(), $"{name}.finish");
        var job = $"echo ran; i=0; while [ ! -e {finish} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done";
        try
        {
            await using var first = Lockctl.Start(Env, "run", name, "--", "sh", "-c", job);
            await using var second = Lockctl.Start(Env, "run", name, "--", "sh", "-c", job);
            await Eventually.ReturnsAsync(() => Task.FromResult(first.HasExited || second.HasExited), exited => exited, "one of the two runs to be refused and exit");
            var refused = first.HasExited ? first : second;
            var ran = ReferenceEquals(refused, first) ? second : first;
            File.WriteAllText(finish, "");

            Assert.Equal(Busy, await refused.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(0, await ran.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains("ran", ran.Stdout);
            Assert.DoesNotContain("ran", refused.Stdout);
            Assert.Contains($"lock '{name}' is held by", refused.Stderr);
        }
        finally
        {
            File.Delete(finish);
        }
    }

    [Fact]
    public async Task With_wait_the_second_run_starts_after_the_first_and_sees_a_larger_fencing_token()
    {
        var name = LockNames.Unique("cli-wait");
        var log = Path.Combine(Path.GetTempPath(), $"{name}.log");
        try
        {
            var script = $"echo \"start $LOCK_FENCING_TOKEN\" >> {log}; sleep 1; echo \"end $LOCK_FENCING_TOKEN\" >> {log}";
            await using var first = Lockctl.Start(Env, "run", name, "--", "sh", "-c", script);
            await Eventually.ReturnsAsync(() => Task.FromResult(File.Exists(log)), exists => exists, "the first job to start");
            var second = await Lockctl.RunAsync(Env, "run", name, "--wait", "30s", "--", "sh", "-c", script);

            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(0, second.ExitCode);
            var lines = File.ReadAllLines(log);
            Assert.Equal(4, lines.Length);
            Assert.Equal(lines[0].Replace("start", "end"), lines[1]);
            Assert.Equal(lines[2].Replace("start", "end"), lines[3]);
            Assert.True(long.Parse(lines[2].Split(' ')[1]) > long.Parse(lines[0].Split(' ')[1]));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Consecutive_children_see_growing_fencing_tokens_and_the_lock_environment()
    {
        var name = LockNames.Unique("cli-tokens");
        var tokens = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var run = await Lockctl.RunAsync(Env, "run", name, "--owner", "cron@node-a", "--", "sh", "-c", "echo $LOCK_NAME $LOCK_OWNER $LOCK_FENCING_TOKEN");
            Assert.Equal(0, run.ExitCode);
            var fields = run.Stdout.Trim().Split(' ');
            Assert.Equal(name, fields[0]);
            Assert.Equal("cron@node-a", fields[1]);
            tokens.Add(long.Parse(fields[2]));
        }

        Assert.Equal(new long[] { 1, 2, 3 }, tokens);
    }

    [Fact]
    public async Task Guard_time_keeps_a_fast_jobs_lock_held_by_the_lease()
    {
        var name = LockNames.Unique("cli-guard");
        var fast = await Lockctl.RunAsync(Env, "run", name, "--guard-time", "2m", "--", "true");
        Assert.Equal(0, fast.ExitCode);

        // The process is gone; the server's lease holds the lock until acquisition + guard time.
        var again = await Lockctl.RunAsync(Env, "run", name, "--", "echo", "ran twice");
        Assert.Equal(Busy, again.ExitCode);
        Assert.DoesNotContain("ran twice", again.Stdout);

        var status = await Lockctl.RunAsync(Env, "status", name, "--json");
        using var json = JsonDocument.Parse(status.Stdout);
        Assert.True(json.RootElement.GetProperty("held").GetBoolean());
        var remaining = json.RootElement.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow;
        Assert.InRange(remaining, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task A_forced_release_kills_the_running_command_and_exits_76()
    {
        var name = LockNames.Unique("cli-lost");
        await using var job = Lockctl.Start(Env, "run", name, "--ttl", "3s", "--kill-grace", "2s", "--", "sh", "-c", "echo started; sleep 120; echo finished");
        await job.WaitForStdoutAsync("started");

        var release = await Lockctl.RunAsync(Env, "release", name, "--force");
        Assert.Equal(0, release.ExitCode);

        Assert.Equal(LockLost, await job.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"lost lock '{name}'", job.Stderr);
        Assert.DoesNotContain("finished", job.Stdout);
    }

    [Fact]
    public async Task The_commands_exit_code_is_passed_through_and_a_missing_command_gives_127()
    {
        var name = LockNames.Unique("cli-exit");
        Assert.Equal(3, (await Lockctl.RunAsync(Env, "run", name, "--", "sh", "-c", "exit 3")).ExitCode);
        Assert.Equal(7, (await Lockctl.RunAsync(Env, "run", name, "--shell", "--", "exit", "7")).ExitCode);
        Assert.Equal(127, (await Lockctl.RunAsync(Env, "run", name, "--", "/nonexistent/command")).ExitCode);
    }

    [Fact]
    public async Task Sigterm_to_lockctl_is_forwarded_to_the_command_and_the_lock_is_released_after_it_exits()
    {
        var name = LockNames.Unique("cli-signal");
        await using var job = Lockctl.Start(Env, "run", name, "--", "sh", "-c", "trap 'echo got-term; exit 7' TERM; echo started; sleep 120 & wait");
        await job.WaitForStdoutAsync("started");

        Signals.Send(job.ProcessId, "TERM");

        Assert.Equal(7, await job.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("got-term", job.Stdout);
        var status = await Lockctl.RunAsync(Env, "status", name);
        Assert.Contains("free", status.Stdout);
    }

    [Fact]
    public async Task A_busy_lock_gives_the_configured_busy_exit_code()
    {
        var name = LockNames.Unique("cli-busy");
        var acquired = await Lockctl.RunAsync(Env, "acquire", name, "--ttl", "2m", "--owner", "script-1");
        Assert.Equal(0, acquired.ExitCode);
        Assert.Equal(42, (await Lockctl.RunAsync(Env, "run", name, "--busy-exit-code", "42", "--", "true")).ExitCode);
    }

    [Fact]
    public async Task Acquire_prints_the_token_and_release_needs_it()
    {
        var name = LockNames.Unique("cli-acquire");
        var acquired = await Lockctl.RunAsync(Env, "acquire", name, "--ttl", "2m", "--owner", "script-1");
        Assert.Equal(0, acquired.ExitCode);
        var printed = acquired.Stdout.Trim().Split('\n');
        Assert.Equal("1 script-1", printed[0]);
        LeaseIds.Validate(printed[1]);
        var token = "1";

        Assert.Equal(Busy, (await Lockctl.RunAsync(Env, "acquire", name, "--owner", "script-2")).ExitCode);
        Assert.Equal(1, (await Lockctl.RunAsync(Env, "release", name, "--owner", "script-1", "--token", "999")).ExitCode);
        var released = await Lockctl.RunAsync(Env, "release", name, "--owner", "script-1", "--token", token);
        Assert.Equal(0, released.ExitCode);
        Assert.Contains("Released", released.Stdout);
        Assert.Contains("free", (await Lockctl.RunAsync(Env, "status", name)).Stdout);
    }

    [Fact]
    public async Task Two_acquires_without_an_owner_on_one_host_are_two_owners_and_the_printed_owner_releases()
    {
        var name = LockNames.Unique("cli-default-owner");
        var first = await Lockctl.RunAsync(Env, "acquire", name, "--ttl", "2m");
        Assert.Equal(0, first.ExitCode);

        // A second script on the same host is another owner: it must not be told it holds the lock too.
        var second = await Lockctl.RunAsync(Env, "acquire", name, "--ttl", "2m");
        Assert.Equal(Busy, second.ExitCode);

        var printed = first.Stdout.Split('\n')[0].Split(' ', 2);
        Assert.Equal(2, printed.Length);
        var (token, owner) = (printed[0], printed[1]);
        Assert.StartsWith($"{Environment.MachineName}:", owner);
        Assert.Contains(owner, (await Lockctl.RunAsync(Env, "status", name)).Stdout);

        // Without the owner a release cannot be matched to this grant: a usage error naming --owner, not a silent miss.
        var ownerless = await Lockctl.RunAsync(Env, "release", name, "--token", token);
        Assert.Equal(Usage, ownerless.ExitCode);
        Assert.Contains("--owner", ownerless.Stderr);

        var released = await Lockctl.RunAsync(Env, "release", name, "--token", token, "--owner", owner);
        Assert.Equal(0, released.ExitCode);
        Assert.Contains("Released", released.Stdout);
    }

    [Fact]
    public async Task Acquire_prints_a_lease_id_that_refresh_and_release_accept_and_status_never_shows()
    {
        var name = LockNames.Unique("cli-lease-id");
        var acquired = await Lockctl.RunAsync(Env, "acquire", name, "--ttl", "2m");
        Assert.Equal(0, acquired.ExitCode);
        var leaseId = acquired.Stdout.Trim().Split('\n')[1].Trim();
        LeaseIds.Validate(leaseId);
        var wrong = LeaseIds.New();

        foreach (var status in new[] { await Lockctl.RunAsync(Env, "status", name), await Lockctl.RunAsync(Env, "status", name, "--json") })
        {
            Assert.Equal(0, status.ExitCode);
            Assert.Contains("fencing", status.Stdout, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(leaseId, status.Stdout);
        }

        Assert.Equal(1, (await Lockctl.RunAsync(Env, "refresh", name, "--lease-id", wrong)).ExitCode);
        var refreshed = await Lockctl.RunAsync(Env, "refresh", name, "--lease-id", leaseId, "--ttl", "10m");
        Assert.Equal(0, refreshed.ExitCode);
        Assert.Contains("Renewed", refreshed.Stdout);
        Assert.Equal(1, (await Lockctl.RunAsync(Env, "release", name, "--lease-id", wrong)).ExitCode);
        Assert.Contains("held by", (await Lockctl.RunAsync(Env, "status", name)).Stdout);

        var released = await Lockctl.RunAsync(Env, "release", name, "--lease-id", leaseId);
        Assert.Equal(0, released.ExitCode);
        Assert.Contains("Released", released.Stdout);
        Assert.Contains("AlreadyReleased", (await Lockctl.RunAsync(Env, "release", name, "--lease-id", leaseId)).Stdout);
        Assert.Contains("free", (await Lockctl.RunAsync(Env, "status", name)).Stdout);
    }

    [Fact]
    public async Task A_bad_lease_id_or_one_given_with_an_owner_is_a_usage_error_naming_the_rule()
    {
        var name = LockNames.Unique("cli-lease-bad");
        var tooShort = await Lockctl.RunAsync(Env, "release", name, "--lease-id", "short");
        Assert.Equal(Usage, tooShort.ExitCode);
        Assert.Contains("at least 22 characters", tooShort.Stderr);

        var withOwner = await Lockctl.RunAsync(Env, "refresh", name, "--lease-id", LeaseIds.New(), "--owner", "script-1");
        Assert.Equal(Usage, withOwner.ExitCode);
        Assert.Contains("--lease-id takes no --owner", withOwner.Stderr);
    }

    [Theory]
    [InlineData("--ttl", "3x")]
    [InlineData("--wait", "soon")]
    [InlineData("--guard-time", "-5s")]
    [InlineData("--kill-grace", "abc")]
    [InlineData("--on-lost", "explode")]
    [InlineData("--busy-exit-code", "300")]
    public async Task A_bad_flag_value_is_a_usage_error_naming_the_flag(string flag, string value)
    {
        var run = await Lockctl.RunAsync(Env, "run", "some-lock", flag, value, "--", "true");
        Assert.Equal(Usage, run.ExitCode);
        Assert.Contains(flag, run.Stderr);
    }

    [Fact]
    public async Task A_bad_lock_name_and_a_missing_command_are_usage_errors()
    {
        var badName = await Lockctl.RunAsync(Env, "run", new string('x', 300), "--", "true");
        Assert.Equal(Usage, badName.ExitCode);
        Assert.Contains("at most 256 characters", badName.Stderr);

        Assert.Equal(Usage, (await Lockctl.RunAsync(Env, "run", "some-lock")).ExitCode);
        Assert.Equal(Usage, (await Lockctl.RunAsync(Env, "release", "some-lock")).ExitCode);
    }

    [Fact]
    public async Task An_unreachable_cluster_exits_69()
    {
        var port = FreePorts.Take(1)[0];
        var run = await Lockctl.RunAsync(
            new Dictionary<string, string> { ["LOCKCTL_GATEWAYS"] = $"127.0.0.1:{port}" },
            "run", "some-lock", "--connect-timeout", "5s", "--", "echo", "must not run");
        Assert.Equal(Unavailable, run.ExitCode);
        Assert.Contains("cannot reach the lock cluster", run.Stderr);
        Assert.DoesNotContain("must not run", run.Stdout);
    }

    [Fact]
    public async Task Configuration_files_and_flags_override_the_environment_in_order()
    {
        var config = Path.Combine(Path.GetTempPath(), $"lockctl-{Guid.NewGuid():N}.json");
        try
        {
            // The environment points nowhere; the --config file points at the cluster and wins.
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
            {
                gateways = cluster.Silos.Select(s => s.Gateway).ToArray(),
                clusterId = cluster.ClusterId,
                serviceId = cluster.ServiceId,
            }));
            var environment = new Dictionary<string, string> { ["LOCKCTL_GATEWAYS"] = $"127.0.0.1:{FreePorts.Take(1)[0]}" };
            var status = await Lockctl.RunAsync(environment, "status", "cfg-lock", "--config", config);
            Assert.Equal(0, status.ExitCode);

            // A --gateway flag beats the file.
            var flagged = await Lockctl.RunAsync(environment, "status", "cfg-lock", "--config", config, "--gateway", $"127.0.0.1:{FreePorts.Take(1)[0]}", "--connect-timeout", "5s");
            Assert.Equal(Unavailable, flagged.ExitCode);
        }
        finally
        {
            File.Delete(config);
        }
    }
}
