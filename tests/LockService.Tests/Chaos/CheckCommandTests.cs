using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Chaos.Workload;

namespace LockService.Tests.Chaos;

/// <summary><c>LockChaos check DIR</c> judges a kept history from its folder alone, and fails on a violation in it.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private readonly string _folder = Directory.CreateTempSubdirectory("check-command-").FullName;

    [Fact]
    public async Task A_kept_history_with_a_stale_write_the_fenced_resource_accepted_fails_the_check()
    {
        // Two clients' files, as a run leaves them: b wrote with token 2, then a's write with token 1 was accepted.
        using (var a = new HistoryFile(Path.Combine(_folder, "c0.jsonl")))
        using (var b = new HistoryFile(Path.Combine(_folder, "c1.jsonl")))
        {
            Write(a, "c0-0", 1, "acquire", "a:1", token: 1, at: 0, ttl: 3000);
            Write(b, "c1-0", 1, "acquire", "b:1", token: 2, at: 100, ttl: 3000);
            Write(b, "c1-0", 2, "fenced-write", "b:1", token: 2, at: 200);
            Write(a, "c0-0", 2, "fenced-write", "a:1", token: 1, at: 300);
        }

        // The resource's log as a forgetful resource would keep it: nothing in it goes down.
        var final = new FinalState(new Dictionary<string, long> { ["L"] = 2 }, [("L", 1, 2)], new Dictionary<string, long>());
        await new CheckInput(final, TimeSpan.FromSeconds(8), MeasureC3: false).WriteAsync(_folder);
        var output = new StringWriter();

        var exitCode = CheckCommand.Run(_folder, output);

        Assert.Equal(1, exitCode);
        Assert.Contains("C4: lock L: a:1 wrote with token 1", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_clean_history_passes_the_check()
    {
        using (var a = new HistoryFile(Path.Combine(_folder, "c0.jsonl")))
        {
            Write(a, "c0-0", 1, "acquire", "a:1", token: 1, at: 0, ttl: 3000);
            Write(a, "c0-0", 2, "fenced-write", "a:1", token: 1, at: 100);
        }

        var final = new FinalState(new Dictionary<string, long> { ["L"] = 1 }, [("L", 1, 1)], new Dictionary<string, long>());
        await new CheckInput(final, TimeSpan.FromSeconds(8), MeasureC3: false).WriteAsync(_folder);
        var output = new StringWriter();

        Assert.Equal(0, CheckCommand.Run(_folder, output));
        Assert.StartsWith("ok: operations 2, grants 1", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_queue_run_is_judged_again_from_its_folder_and_two_live_claims_fail_it()
    {
        // Two workers' logs as the queue chaos test leaves them: w2 claimed 0-0 (token 2) while w1's claim (token 1) was live.
        await File.WriteAllLinesAsync(Path.Combine(_folder, "queue-w1.log"), ["start 0-0 1 1 100", "end 0-0 1 400", "refused 0-0 1 410"]);
        await File.WriteAllLinesAsync(Path.Combine(_folder, "queue-w2.log"), ["start 0-0 2 2 300", "end 0-0 2 310", "done 0-0 2 320"]);
        await QueueInput(done: 1, ("w2", 1)).WriteAsync(_folder);
        var output = new StringWriter();

        Assert.Equal(1, CheckCommand.Run(_folder, output));
        Assert.StartsWith("FAIL: queue: 1 tasks, 2 worker incarnations, 1 violation(s)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("claim token 2 by w2 started at 300 while token 1 by w1 was still live", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_clean_queue_run_passes_the_check()
    {
        await File.WriteAllLinesAsync(Path.Combine(_folder, "queue-w1.log"), ["start 0-0 1 1 100", "end 0-0 1 110", "done 0-0 1 120"]);
        await File.WriteAllLinesAsync(Path.Combine(_folder, "queue-w2.log"), []);
        await QueueInput(done: 1, ("w1", 1)).WriteAsync(_folder);
        var output = new StringWriter();

        Assert.Equal(0, CheckCommand.Run(_folder, output));
        Assert.StartsWith("ok: queue: 1 tasks, 2 worker incarnations, 0 violation(s)", output.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static QueueCheckInput QueueInput(long done, params (string Worker, long Completed)[] completedBy) => new(
        ["0-0"],
        new QueueStats("q", 0, 0, done, 0, 0, completedBy.ToDictionary(c => c.Worker, c => c.Completed)),
        [new QueueCheckInput.WorkerLog("w1", "queue-w1.log", null), new QueueCheckInput.WorkerLog("w2", "queue-w2.log", null)]);

    private static void Write(HistoryFile file, string client, long id, string op, string owner, long token, long at, double? ttl = null)
    {
        file.Write(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "invoke", Lock = "L", Owner = owner, TtlMs = ttl, T = at * Ms, Token = op == "acquire" ? null : token });
        file.Write(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "ok", Lock = "L", Owner = owner, Token = token, T = (at + 5) * Ms });
    }
}
