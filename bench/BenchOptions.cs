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

    public IReadOnlyList<string> Peers { get; init; } = Reporting.Report.Peers;

    public ScenarioSettings Scenarios { get; init; } = new();

    /// <summary>Which of the timed scenarios (a)–(d) and (f) to run; all by default.</summary>
    public IReadOnlyList<string> TimedScenarios { get; init; } = AllTimedScenarios;

    /// <summary>The timed scenarios: every one but (e), which runs on a silo of its own (<c>--scale</c>).</summary>
    public static readonly string[] AllTimedScenarios = ["a", "b", "c", "d", "f"];

    public const string Usage = """
        usage: LockBench --postgres CONNSTR --redis HOST:PORT --silo-dll PATH --state-dir DIR
                         [--results FILE.json] [--markdown FILE.md] [--peers pg-row,pg-advisory,redis,orleans-1,orleans-3]
                         [--scenarios a,b,c,d,f] [--duration SECONDS] [--warmup SECONDS] [--scale LOCKS (0: skip (e))] [--idle-wait SECONDS]
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

        if (values.TryGetValue("--idle-wait", out var idleWait))
        {
            scenarios = scenarios with { IdleWait = Seconds("--idle-wait", idleWait) };
        }

        var peers = values.TryGetValue("--peers", out var list) ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Reporting.Report.Peers;
        foreach (var peer in peers)
        {
            if (!Reporting.Report.Peers.Contains(peer))
            {
                throw new ArgumentException($"Unknown peer '{peer}' in --peers; known: {string.Join(", ", Reporting.Report.Peers)}.");
            }
        }

        var timed = values.TryGetValue("--scenarios", out var scenarioList)
            ? scenarioList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : AllTimedScenarios;
        if (timed.Any(s => !AllTimedScenarios.Contains(s)))
        {
            throw new ArgumentException($"--scenarios takes a comma-separated subset of {string.Join(',', AllTimedScenarios)} (was '{scenarioList}'); (e) is --scale.");
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
            TimedScenarios = timed,
        };
    }

    private static TimeSpan Seconds(string name, string value) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{name} must be a positive number of seconds (was '{value}').");
}
