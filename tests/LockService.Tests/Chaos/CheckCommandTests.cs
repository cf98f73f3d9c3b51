using System.Diagnostics;
using LockService.Chaos.History;

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

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void Write(HistoryFile file, string client, long id, string op, string owner, long token, long at, double? ttl = null)
    {
        file.Write(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "invoke", Lock = "L", Owner = owner, TtlMs = ttl, T = at * Ms, Token = op == "acquire" ? null : token });
        file.Write(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "ok", Lock = "L", Owner = owner, Token = token, T = (at + 5) * Ms });
    }
}
