using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LockService.Bench.Reporting;

/// <summary>The markdown table printed at the end of a run, and the same figures as JSON.</summary>
internal static class Report
{
    public static readonly string[] Peers = ["pg-row", "pg-advisory", "redis", "orleans-1", "orleans-3"];

    private static readonly (string Scenario, string Metric, string Label)[] Rows =
    [
        ("a", "pair_p50_ms", "(a) uncontended: acquire+release p50, ms"),
        ("a", "pair_p99_ms", "(a) uncontended: acquire+release p99, ms"),
        ("b", "pairs_per_s", "(b) 32 clients, 1,000 names: pairs/s"),
        ("c", "acquired_per_s", "(c) hot lock, try: successful/s"),
        ("c", "refused_per_s", "(c) hot lock, try: failed/s"),
        ("d", "grants_per_s", "(d) hot lock, wait: grants/s"),
        ("d", "handoff_p50_ms", "(d) handoff p50, ms"),
        ("d", "handoff_p99_ms", "(d) handoff p99, ms"),
        ("d", "regained_pct", "(d) releaser got it straight back, %"),
        ("d", "min_grants_per_client", "(d) fewest grants of a client"),
        ("d", "max_grants_per_client", "(d) most grants of a client"),
        ("f", "grants_per_s", "(f) semaphore, max 4, wait: grants/s"),
        ("f", "handoff_p50_ms", "(f) handoff p50, ms"),
        ("f", "handoff_p99_ms", "(f) handoff p99, ms"),
        ("f", "regained_pct", "(f) releaser got a slot straight back, %"),
        ("f", "min_grants_per_client", "(f) fewest grants of a client"),
        ("f", "max_grants_per_client", "(f) most grants of a client"),
        ("e", "acquire_all_s", "(e) 100,000 locks: time to acquire all, s"),
        ("e", "bytes_per_held_lock", "(e) silo RSS per held lock, bytes"),
        ("e", "rss_held_mib", "(e) silo RSS with all held, MiB"),
        ("e", "activations_after_idle", "(e) lock activations left after idle wait"),
        ("e", "rss_idle_mib", "(e) silo RSS after idle wait, MiB"),
        ("e", "memory_returned_pct", "(e) memory the held locks took that came back, %"),
    ];

    public static string Markdown(BenchResults results, IReadOnlyList<TargetResult> targets, RunInfo run)
    {
        var text = new StringBuilder();
        text.AppendLine($"Machine: {run.Machine}. Run {run.StartedAt:yyyy-MM-dd HH:mm} UTC, {run.Seconds:F0} s; " +
                        $"1-minute load average {Targets.Format(run.LoadAtStart)} at the start and {Targets.Format(run.LoadAtEnd)} at the end ({Environment.ProcessorCount} cores).");
        text.AppendLine();
        text.AppendLine($"| scenario | {string.Join(" | ", Peers)} |");
        text.AppendLine($"|---|{string.Concat(Peers.Select(_ => "---:|"))}");
        foreach (var (scenario, metric, label) in Rows)
        {
            var cells = Peers.Select(peer => Targets.Format(results.Get(scenario, peer, metric)));
            if (cells.All(c => c == "n/a"))
            {
                continue;
            }

            text.AppendLine($"| {label} | {string.Join(" | ", cells.Select(c => c == "n/a" ? "–" : c))} |");
        }

        var overlaps = Peers.Sum(peer => BenchOptions.AllTimedScenarios.Sum(s => results.Get(s, peer, "overlaps") ?? 0));
        text.AppendLine();
        var regressions = Peers.Sum(peer => BenchOptions.AllTimedScenarios.Sum(s => results.Get(s, peer, "token_regressions") ?? 0));
        text.AppendLine($"Overlapping holders seen in (a)–(d) and (f), all peers: {overlaps:F0} (in (f): more holders of the semaphore than its limit at once, or two of one slot). Grants whose fencing token did not rise (peers with tokens; in (f) per slot): {regressions:F0}.");
        text.AppendLine();
        text.AppendLine("In (f) each peer runs its backend's semaphore: `pg-row` a table of slot rows claimed with a conditional update, `redis` DistributedLock.Redis's `RedisDistributedSemaphore`, `orleans-*` the semaphore grain (`pg-advisory` has none).");
        text.AppendLine();
        text.AppendLine("| target (orleans-1) | value | limit | met |");
        text.AppendLine("|---|---:|---:|:---:|");
        foreach (var target in targets)
        {
            text.AppendLine($"| {target.Name} ({target.Detail}) | {Targets.Format(target.Value)} | {target.Comparison} {Targets.Format(target.Limit)} | {(target.Met ? "yes" : "**no**")} |");
        }

        var met = targets.Count(t => t.Met);
        text.AppendLine();
        text.AppendLine($"Targets met: {met} of {targets.Count}.");
        if (results.Failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("**Correctness failures (the run fails):**");
            foreach (var failure in results.Failures)
            {
                text.AppendLine($"- {failure}");
            }
        }

        return text.ToString();
    }

    public static string Json(BenchResults results, IReadOnlyList<TargetResult> targets, RunInfo run)
    {
        var scenarios = new JsonObject();
        foreach (var (scenario, peers) in results.Scenarios)
        {
            var byPeer = new JsonObject();
            foreach (var (peer, metrics) in peers)
            {
                var values = new JsonObject();
                foreach (var (metric, value) in metrics)
                {
                    values[metric] = Number(value);
                }

                byPeer[peer] = values;
            }

            scenarios[scenario] = byPeer;
        }

        var root = new JsonObject
        {
            ["startedAt"] = run.StartedAt.ToString("o"),
            ["seconds"] = Math.Round(run.Seconds, 1),
            ["machine"] = run.Machine,
            ["loadAverageAtStart"] = run.LoadAtStart,
            ["loadAverageAtEnd"] = run.LoadAtEnd,
            ["settings"] = JsonSerializer.SerializeToNode(run.Settings),
            ["passed"] = results.Failures.Count == 0,
            ["targets"] = new JsonArray(targets.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["value"] = t.Value is { } v ? Number(v) : null,
                ["limit"] = t.Limit,
                ["met"] = t.Met,
                ["comparison"] = t.Comparison,
                ["detail"] = t.Detail,
            }).ToArray()),
            ["scenarios"] = scenarios,
            ["failures"] = new JsonArray(results.Failures.Select(f => (JsonNode)JsonValue.Create(f)).ToArray()),
            ["notes"] = new JsonArray(results.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    // JSON has no NaN: a figure that could not be measured is null.
    private static JsonNode? Number(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 4));
}

/// <summary>What the report says about the run itself.</summary>
internal sealed record RunInfo(DateTimeOffset StartedAt, double Seconds, string Machine, object Settings, double? LoadAtStart, double? LoadAtEnd);
