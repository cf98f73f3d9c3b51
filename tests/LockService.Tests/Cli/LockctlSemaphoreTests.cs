using System.Text.Json;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cli;

/// <summary>
/// <c>lockctl run NAME --slots N</c> and the semaphore commands (issue #13), the built binary against a real cluster of
/// silo processes on PostgreSQL. Overlap is judged from the order of the jobs' own start and end lines, not from timing.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LockctlSemaphoreTests(ProcessClusterFixture cluster) : IDisposable
{
    private const int Busy = 75;
    private const int Usage = 64;
    private const int LockLost = 76;

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("lockctl-slots-");

    private IReadOnlyDictionary<string, string> Env => cluster.LockctlEnvironment;

    private string Log => Path.Combine(_work.FullName, "jobs.log");

    private string Gate => Path.Combine(_work.FullName, "gate");

    /// <summary>A job that logs its start, waits until the test opens the gate, and logs its end.</summary>
    private string GatedJob =>
        $"echo \"start $LOCK_SLOT $LOCK_FENCING_TOKEN\" >> {Log}; while [ ! -e {Gate} ]; do sleep 0.1; done; echo \"end $LOCK_SLOT $LOCK_FENCING_TOKEN\" >> {Log}";

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Of_five_runs_with_two_slots_two_run_at_once_and_three_exit_75()
    {
        var name = LockNames.Unique("cli-jobs");
        var jobs = Enumerable.Range(0, 5).Select(_ => Lockctl.Start(Env, "run", name, "--slots", "2", "--", "sh", "-c", GatedJob)).ToList();
        try
        {
            // Both slots stay taken until the gate opens, so exactly three runs find no free slot.
            await Eventually.ReturnsAsync(() => Task.FromResult(jobs.Count(j => j.HasExited)), exited => exited >= 3, "three runs to give up");
            await Eventually.ReturnsAsync(() => Task.FromResult(Lines()), lines => lines.Count(l => l.StartsWith("start")) == 2, "two jobs to start");
            File.WriteAllText(Gate, "");

            var exitCodes = await Task.WhenAll(jobs.Select(j => j.WaitForExitAsync(TimeSpan.FromMinutes(2))));
            Assert.Equal([0, 0, Busy, Busy, Busy], exitCodes.Order());
            Assert.All(jobs.Where(j => j.Stderr.Length > 0), j => Assert.Contains($"semaphore '{name}' has all 2 slots held", j.Stderr));
            var runs = JudgeLog();
            Assert.Equal(2, runs.MaxOverlap);
            Assert.Equal(2, runs.Started);
            Assert.Equal([0, 1], runs.Slots.Order());
        }
        finally
        {
            await DisposeAllAsync(jobs);
        }
    }

    [Fact]
    public async Task Of_five_runs_with_two_slots_and_wait_all_five_run_at_most_two_at_once()
    {
        var name = LockNames.Unique("cli-jobs-wait");
        var jobs = Enumerable.Range(0, 5).Select(_ => Lockctl.Start(Env, "run", name, "--slots", "2", "--wait", "30s", "--", "sh", "-c", GatedJob)).ToList();
        try
        {
            await Eventually.ReturnsAsync(() => Task.FromResult(Lines()), lines => lines.Count(l => l.StartsWith("start")) == 2, "two jobs to start");
            Assert.DoesNotContain(jobs, j => j.HasExited);
            File.WriteAllText(Gate, "");

            var exitCodes = await Task.WhenAll(jobs.Select(j => j.WaitForExitAsync(TimeSpan.FromMinutes(2))));
            Assert.All(exitCodes, code => Assert.Equal(0, code));
            var runs = JudgeLog();
            Assert.Equal(5, runs.Started);
            Assert.InRange(runs.MaxOverlap, 1, 2);
            Assert.All(runs.Slots, slot => Assert.InRange(slot, 0, 1));
            Assert.Equal(5, runs.Tokens.Distinct().Count());
        }
        finally
        {
            await DisposeAllAsync(jobs);
        }
    }

    [Fact]
    public async Task The_child_gets_its_slot_and_token_and_status_shows_the_holders_without_lease_ids()
    {
        var name = LockNames.Unique("cli-slot-env");
        await using var job = Lockctl.Start(Env, "run", name, "--slots", "3", "--owner", "cron@node-a", "--", "sh", "-c", "echo \"$LOCK_NAME $LOCK_SLOT $LOCK_FENCING_TOKEN $LOCK_OWNER\"; sleep 120");
        await job.WaitForStdoutAsync("cron@node-a");
        Assert.Equal($"{name} 0 1 cron@node-a", job.Stdout.Trim());

        var status = await Lockctl.RunAsync(Env, "status", name);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"lock '{name}': free", status.Stdout);
        Assert.Contains($"semaphore '{name}': 1 of 3 slots held, last fencing token 1, 0 waiting", status.Stdout);
        Assert.Contains("slot 0: held by cron@node-a, fencing token 1", status.Stdout);

        var json = await Lockctl.RunAsync(Env, "status", name, "--semaphore", "--json");
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(3, document.RootElement.GetProperty("maxCount").GetInt32());
        var holder = Assert.Single(document.RootElement.GetProperty("holders").EnumerateArray().ToList());
        Assert.Equal(["acquiredAt", "expiresAt", "fencingToken", "owner", "slot"], holder.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("cron@node-a", holder.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Set_limit_changes_who_may_run_and_a_run_with_another_limit_is_a_usage_error()
    {
        var name = LockNames.Unique("cli-set-limit");
        await using var job = Lockctl.Start(Env, "run", name, "--slots", "3", "--", "sh", "-c", "echo started; sleep 120");
        await job.WaitForStdoutAsync("started");

        var lowered = await Lockctl.RunAsync(Env, "semaphore", "set-limit", name, "1");
        Assert.Equal(0, lowered.ExitCode);
        Assert.Contains($"semaphore '{name}': limit 1, 1 held", lowered.Stdout);

        var full = await Lockctl.RunAsync(Env, "run", name, "--slots", "1", "--", "echo", "must not run");
        Assert.Equal(Busy, full.ExitCode);
        Assert.DoesNotContain("must not run", full.Stdout);

        var mismatch = await Lockctl.RunAsync(Env, "run", name, "--slots", "3", "--", "echo", "must not run");
        Assert.Equal(Usage, mismatch.ExitCode);
        Assert.Contains("has the limit 1; this call asked for 3", mismatch.Stderr);
        Assert.DoesNotContain("must not run", mismatch.Stdout);
    }

    [Fact]
    public async Task Force_release_of_a_slot_kills_its_command_and_exits_76()
    {
        var name = LockNames.Unique("cli-slot-lost");
        await using var job = Lockctl.Start(Env, "run", name, "--slots", "2", "--ttl", "3s", "--kill-grace", "2s", "--", "sh", "-c", "echo started; sleep 120; echo finished");
        await job.WaitForStdoutAsync("started");

        var release = await Lockctl.RunAsync(Env, "semaphore", "force-release", name, "--slot", "0");
        Assert.Equal(0, release.ExitCode);
        Assert.Contains($"semaphore '{name}': ended 1 lease (slot 0)", release.Stdout);

        Assert.Equal(LockLost, await job.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"lost semaphore '{name}' slot 0", job.Stderr);
        Assert.DoesNotContain("finished", job.Stdout);
    }

    [Theory]
    [InlineData("at least 1", "run", "some-sem", "--slots", "0", "--", "true")]
    [InlineData("--slots", "run", "some-sem", "--slots", "many", "--", "true")]
    [InlineData("at least 1", "semaphore", "set-limit", "some-sem", "0")]
    [InlineData("at most the configured cap 10000", "semaphore", "set-limit", "some-sem", "10001")]
    [InlineData("--slot", "semaphore", "force-release", "some-sem", "--slot", "-1")]
    public async Task Bad_semaphore_input_is_a_usage_error_naming_the_rule(string rule, params string[] arguments)
    {
        var run = await Lockctl.RunAsync(Env, arguments);
        Assert.Equal(Usage, run.ExitCode);
        Assert.Contains(rule, run.Stderr);
    }

    private string[] Lines() => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>Replays the jobs' start and end lines in the order they were written.</summary>
    private (int Started, int MaxOverlap, List<int> Slots, List<long> Tokens) JudgeLog()
    {
        var running = 0;
        var maxOverlap = 0;
        var slots = new List<int>();
        var tokens = new List<long>();
        foreach (var fields in Lines().Select(l => l.Split(' ')))
        {
            if (fields[0] == "start")
            {
                running++;
                slots.Add(int.Parse(fields[1]));
                tokens.Add(long.Parse(fields[2]));
            }
            else
            {
                running--;
            }

            maxOverlap = Math.Max(maxOverlap, running);
        }

        Assert.Equal(0, running);
        return (slots.Count, maxOverlap, slots, tokens);
    }

    private static async Task DisposeAllAsync(IEnumerable<Lockctl> jobs)
    {
        foreach (var job in jobs)
        {
            await job.DisposeAsync();
        }
    }
}
