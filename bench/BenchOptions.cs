using LockService.Bench.Scenarios;

namespace LockService.Bench;

/// <summary>The command line of the benchmark; <c>scripts/bench.sh</c> fills it in.</summary>
internal sealed record BenchOptions
{
    public required string Postgres { get; init; }

    public required string Redis { get; init; }

    public required string SiloDll { get; init; }

    public required string StateDirectory { get; init; }

    public string ResultsFile { get; init; } = Path.Combine("bench", "results", "latest.json");

    public string? MarkdownFile { get; init; }

    public IReadOnlyList<string> Peers { get; init; } = Reporting.Report.DefaultPeers;

    public ScenarioSettings Scenarios { get; init; } = new();

    /// <summary>Which scenarios to run (<c>--scenarios</c>); all by default.</summary>
    public IReadOnlyList<string> SelectedScenarios { get; init; } = AllScenarios;

    /// <summary>
    /// Every scenario, in the order they run: the timed ones, with (b) at 1,000 names and then at 100,000
    /// (<c>b-large</c>, last, since its names stay active in the silo), (e), on a silo of its own, and the work queue
    /// (<c>q</c> at 1,000 and 10,000 pending, <c>q-large</c> at 100,000) on peers of its own, and (h): seed 001's own
    /// system against this service's HTTP API, both behind nginx (issue 15).
    /// </summary>
    public static readonly string[] AllScenarios = ["a", "b", "c", "d", "f", "b-large", "e", "q", "q-large", "h"];

    /// <summary>The scenarios that run on peers of their own, not in the timed rounds: (e), the work queue's and (h).</summary>
    private static readonly string[] SeparateScenarios = ["e", "q", "q-large", "h"];

    /// <summary>Whether (h) runs: seed 001's FastAPI workers and this service's HTTP API, each behind nginx.</summary>
    public bool RunsHttp => SelectedScenarios.Contains("h");

    /// <summary>The repository (for bench/seed001 and scripts/lib/nginx.sh): the folder above this program with LockService.slnx.</summary>
    public static string Repository { get; } = FindRepository();

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LockService.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the repository (LockService.slnx) above {AppContext.BaseDirectory}.");
    }

    /// <summary>The timed scenarios: every one but (e) and the work queue's.</summary>
    public static readonly string[] AllTimedScenarios = AllScenarios.Where(s => !SeparateScenarios.Contains(s)).ToArray();

    /// <summary>The selected timed scenarios (those with something to run: <c>b-large</c> needs <c>--large-names</c> above 0).</summary>
    public IReadOnlyList<string> TimedScenarios =>
        SelectedScenarios.Where(s => !SeparateScenarios.Contains(s) && (s != "b-large" || Scenarios.LargeNames > 0)).ToArray();

    /// <summary>Whether (e) runs: selected, with <c>--scale</c> above 0.</summary>
    public bool RunsScale => SelectedScenarios.Contains("e") && Scenarios.ScaleLocks > 0;

    /// <summary>The queue lengths the work queue scenarios run at: <c>q</c>'s, and <c>q-large</c>'s when <c>--queue-large</c> is above 0.</summary>
    public IReadOnlyList<int> QueuePending
    {
        get
        {
            var pending = new List<int>();
            if (SelectedScenarios.Contains("q"))
            {
                pending.AddRange(Scenarios.QueuePending);
            }

            if (SelectedScenarios.Contains("q-large") && Scenarios.QueueLargePending > 0)
            {
                pending.Add(Scenarios.QueueLargePending);
            }

            return pending;
        }
    }

    public const string Usage = """
        usage: LockBench --postgres CONNSTR --redis HOST:PORT --silo-dll PATH --state-dir DIR
                         [--results FILE.json] [--markdown FILE.md] [--peers pg-row,pg-advisory,redis,orleans-1,orleans-3,orleans-1-eager,http-1]
                         [--scenarios a,b,c,d,f,b-large,e,q,q-large,h] [--duration SECONDS] [--warmup SECONDS]
                         [--large-names NAMES (b-large; 0 skips it)] [--scale LOCKS ((e); 0 skips it)] [--idle-wait SECONDS]
                         [--queue-large PENDING (q-large; 0 skips it)]
        Normally run by scripts/bench.sh, which starts PostgreSQL and Redis and passes these.
        """;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}': every option takes a value.");
            }

            values[args[i]] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new ArgumentException($"Missing {name}.");

        var scenarios = new ScenarioSettings();
        if (values.TryGetValue("--duration", out var duration))
        {
            scenarios = scenarios with { Duration = Seconds("--duration", duration) };
        }

        if (values.TryGetValue("--warmup", out var warmup))
        {
            scenarios = scenarios with { Warmup = Seconds("--warmup", warmup) };
        }

        if (values.TryGetValue("--scale", out var scale))
        {
            scenarios = scenarios with { ScaleLocks = int.TryParse(scale, out var locks) && locks >= 0 ? locks : throw new ArgumentException($"--scale must be a number, 0 to skip scenario (e) (was '{scale}').") };
        }

        if (values.TryGetValue("--large-names", out var largeNames))
        {
            scenarios = scenarios with { LargeNames = int.TryParse(largeNames, out var count) && count >= 0 ? count : throw new ArgumentException($"--large-names must be a number, 0 to skip b-large (was '{largeNames}').") };
        }

        if (values.TryGetValue("--queue-large", out var queueLarge))
        {
            scenarios = scenarios with { QueueLargePending = int.TryParse(queueLarge, out var pending) && pending >= 0 ? pending : throw new ArgumentException($"--queue-large must be a number, 0 to skip q-large (was '{queueLarge}').") };
        }

        if (values.TryGetValue("--idle-wait", out var idleWait))
        {
            scenarios = scenarios with { IdleWait = Seconds("--idle-wait", idleWait) };
        }

        var peers = values.TryGetValue("--peers", out var list) ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Reporting.Report.DefaultPeers;
        foreach (var peer in peers)
        {
            if (!Reporting.Report.Peers.Contains(peer))
            {
                throw new ArgumentException($"Unknown peer '{peer}' in --peers; known: {string.Join(", ", Reporting.Report.Peers)}.");
            }
        }

        var selected = values.TryGetValue("--scenarios", out var scenarioList)
            ? scenarioList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : AllScenarios;
        if (selected.Length == 0 || selected.Any(s => !AllScenarios.Contains(s)))
        {
            throw new ArgumentException($"--scenarios takes a comma-separated subset of {string.Join(',', AllScenarios)} (was '{scenarioList}').");
        }

        return new BenchOptions
        {
            Postgres = Required("--postgres"),
            Redis = Required("--redis"),
            SiloDll = Required("--silo-dll"),
            StateDirectory = Required("--state-dir"),
            ResultsFile = values.GetValueOrDefault("--results") ?? Path.Combine("bench", "results", "latest.json"),
            MarkdownFile = values.GetValueOrDefault("--markdown"),
            Peers = peers,
            Scenarios = scenarios,
            SelectedScenarios = AllScenarios.Where(selected.Contains).ToArray(),
        };
    }

    private static TimeSpan Seconds(string name, string value) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{name} must be a positive number of seconds (was '{value}').");
}
