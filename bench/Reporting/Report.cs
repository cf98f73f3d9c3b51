using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LockService.Bench.Reporting;

/// <summary>The markdown table printed at the end of a run, and the same figures as JSON.</summary>
internal static class Report
{
    /// <summary>Every peer the bench knows, in the order of the table's columns.</summary>
    public static readonly string[] Peers = ["pg-row", "pg-advisory", "redis", "orleans-1", "orleans-3", "orleans-1-eager", "orleans-3-eager", "http-1"];

    /// <summary>
    /// The peers of a full run: the baselines, the service on its defaults with one and three silos (the headline), and
    /// one labelled variant, lazily durable release off (the behaviour before issue 13), on one silo.
    /// </summary>
    public static readonly string[] DefaultPeers = ["pg-row", "pg-advisory", "redis", "orleans-1", "orleans-3", "orleans-1-eager", "http-1"];

    /// <summary>Peers that run (a) only: the lock over HTTP, whose (a) p50 beside orleans-1's is what HTTP costs (issue 15).</summary>
    public static bool RunsOnlyUncontended(string peer) => peer.StartsWith("http-", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="scenario"/> is a work queue scenario: (q) at each length, or (h), seed 001's over HTTP.</summary>
    public static bool IsQueueScenario(string scenario) =>
        scenario.StartsWith("q-", StringComparison.Ordinal) || scenario.StartsWith("h-", StringComparison.Ordinal);

    /// <summary>For an <c>orleans-N[-variant]</c> peer name, its silo count and settings; otherwise <see langword="null"/>.</summary>
    public static (int Silos, Hosting.SiloVariant Variant)? OrleansPeer(string peer)
    {
        if (!peer.StartsWith("orleans-", StringComparison.Ordinal) || peer.Length < "orleans-1".Length || !char.IsAsciiDigit(peer["orleans-".Length]))
        {
            return null;
        }

        var suffix = peer["orleans-1".Length..];
        return Hosting.SiloVariant.PeerVariants.FirstOrDefault(v => v.Suffix == suffix) is { } variant
            ? (peer["orleans-".Length] - '0', variant)
            : null;
    }

    private static readonly (string Scenario, string Metric, string Label)[] Rows =
    [
        ("a", "pair_p50_ms", "(a) uncontended: acquire+release p50, ms"),
        ("a", "pair_p99_ms", "(a) uncontended: acquire+release p99, ms"),
        ("b", "pairs_per_s", "(b) 32 clients, 1,000 names: pairs/s"),
        ("b", "pg_write_xacts_per_pair", "(b) PostgreSQL write transactions per pair"),
        ("b", "pg_cpu_ms_per_pair", "(b) PostgreSQL CPU per pair, ms"),
        ("b", "cpu_client_ms_per_op", "(b) CPU per pair, ms: bench process (clients)"),
        ("b", "cpu_silos_ms_per_op", "(b) CPU per pair, ms: silo processes"),
        ("b-large", "pairs_per_s", "(b) 32 clients, {names} names: pairs/s"),
        ("b-large", "first_touch_pairs_per_s", "(b) {names} names, first pair of each name: pairs/s"),
        ("b-large", "pg_write_xacts_per_pair", "(b) {names} names: PostgreSQL write transactions per pair"),
        ("b-large", "pg_cpu_ms_per_pair", "(b) {names} names: PostgreSQL CPU per pair, ms"),
        ("b-large", "silo_bytes_per_name", "(b) {names} names: silo RSS per name touched, bytes"),
        ("c", "acquired_per_s", "(c) hot lock, try: successful/s"),
        ("c", "refused_per_s", "(c) hot lock, try: failed/s"),
        ("d", "grants_per_s", "(d) hot lock, wait: grants/s"),
        ("d", "handoff_p50_ms", "(d) handoff p50, ms"),
        ("d", "handoff_p99_ms", "(d) handoff p99, ms"),
        ("d", "regained_pct", "(d) releaser got it straight back, %"),
        ("d", "min_grants_per_client", "(d) fewest grants of a client"),
        ("d", "max_grants_per_client", "(d) most grants of a client"),
        ("d", "cpu_client_ms_per_op", "(d) CPU per grant, ms: bench process (clients)"),
        ("d", "cpu_silos_ms_per_op", "(d) CPU per grant, ms: silo processes"),
        ("d", "cpu_postgres_ms_per_op", "(d) CPU per grant, ms: PostgreSQL"),
        ("f", "grants_per_s", "(f) semaphore, max 4, wait: grants/s"),
        ("f", "handoff_p50_ms", "(f) handoff p50, ms"),
        ("f", "handoff_p99_ms", "(f) handoff p99, ms"),
        ("f", "regained_pct", "(f) releaser got a slot straight back, %"),
        ("f", "min_grants_per_client", "(f) fewest grants of a client"),
        ("f", "max_grants_per_client", "(f) most grants of a client"),
        ("f", "cpu_client_ms_per_op", "(f) CPU per grant, ms: bench process (clients)"),
        ("f", "cpu_silos_ms_per_op", "(f) CPU per grant, ms: silo processes"),
        ("f", "cpu_postgres_ms_per_op", "(f) CPU per grant, ms: PostgreSQL"),
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
        var columns = Peers.Where(peer => results.Scenarios.Values.Any(byPeer => byPeer.ContainsKey(peer))).ToArray();
        text.AppendLine($"| scenario | {string.Join(" | ", columns)} |");
        text.AppendLine($"|---|{string.Concat(columns.Select(_ => "---:|"))}");
        foreach (var (scenario, metric, label) in Rows)
        {
            var cells = columns.Select(peer => Targets.Format(results.Get(scenario, peer, metric)));
            if (cells.All(c => c == "n/a"))
            {
                continue;
            }

            var names = columns.Select(peer => results.Get(scenario, peer, "names")).FirstOrDefault(n => n is not null);
            text.AppendLine($"| {label.Replace("{names}", Targets.Format(names), StringComparison.Ordinal)} | {string.Join(" | ", cells.Select(c => c == "n/a" ? "–" : c))} |");
        }

        text.AppendLine();
        text.AppendLine("Peers (every setting of each: `configuration` in the JSON):");
        foreach (var (peer, configuration) in results.Configurations)
        {
            text.AppendLine($"- `{peer}`: {Summary(configuration)}");
        }

        var overlaps = Peers.Sum(peer => BenchOptions.AllTimedScenarios.Sum(s => results.Get(s, peer, "overlaps") ?? 0));
        text.AppendLine();
        var regressions = Peers.Sum(peer => BenchOptions.AllTimedScenarios.Sum(s => results.Get(s, peer, "token_regressions") ?? 0));
        var largeNames = results.Scenarios.GetValueOrDefault("b-large")?.Values.Select(metrics => metrics.GetValueOrDefault("names")).FirstOrDefault();
        var scope = largeNames is > 0 ? $"(a)–(d), (f) and (b) at {Targets.Format(largeNames)} names" : "(a)–(d) and (f)";
        text.AppendLine($"Overlapping holders seen in {scope}, all peers: {overlaps:F0} (in (f): more holders of the semaphore than its limit at once, or two of one slot). Grants whose fencing token did not rise (peers with tokens; in (f) per slot): {regressions:F0}.");
        text.AppendLine();
        text.AppendLine("In (f) each peer runs its backend's semaphore: `pg-row` a table of slot rows claimed with a conditional update, `redis` DistributedLock.Redis's `RedisDistributedSemaphore`, `orleans-*` the semaphore grain (`pg-advisory` has none).");
        text.AppendLine();
        AppendQueueTable(text, results);
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
            ["configuration"] = new JsonObject(results.Configurations.Select(peer => KeyValuePair.Create<string, JsonNode?>(
                peer.Key,
                new JsonObject(peer.Value.Select(setting => KeyValuePair.Create<string, JsonNode?>(setting.Key, JsonValue.Create(setting.Value))))))),
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

    // The work queue scenarios have peers of their own, so a table of their own: a row per queue length and peer.
    private static void AppendQueueTable(StringBuilder text, BenchResults results)
    {
        var rows = results.Scenarios.Where(scenario => IsQueueScenario(scenario.Key))
            .OrderBy(scenario => scenario.Value.Values.Select(metrics => metrics.GetValueOrDefault("pending")).FirstOrDefault())
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        text.AppendLine("Work queue (issue 14, scenario q) and seed 001 over HTTP through nginx (issue 15, scenario h): 32 workers claim and complete with no work; the queue holds `pending` to twice that while measured.");
        text.AppendLine();
        text.AppendLine("| scenario | pending | peer | claims/s | claim p50 ms | claim p99 ms | storage bytes per claim | duplicate completions |");
        text.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var (scenario, peers) in rows)
        {
            foreach (var (peer, m) in peers)
            {
                text.AppendLine($"| {scenario[..1]} | {Targets.Format(m.GetValueOrDefault("pending"))} | {peer} | {Targets.Format(m.GetValueOrDefault("claims_per_s"))} | {Targets.Format(m.GetValueOrDefault("claim_p50_ms"))} | {Targets.Format(m.GetValueOrDefault("claim_p99_ms"))} | {(m.TryGetValue("storage_bytes_per_claim", out var bytes) ? Targets.Format(bytes) : "–")} | {Targets.Format(m.GetValueOrDefault("duplicate_completions"))} |");
            }
        }

        text.AppendLine();
    }

    // One line per peer: what it is, and for the service, its silos' settings and the storage tuning shared with pg-*.
    private static string Summary(IReadOnlyDictionary<string, string> configuration) =>
        string.Join("; ", new[] { "kind", "silos", "silo settings", "LockGrains:ReleaseWriteDelay", "Npgsql tuning", "inherited environment (not the defaults!)" }
            .Where(configuration.ContainsKey)
            .Select(key => key == "kind" ? configuration[key] : $"{key}: {configuration[key]}"));

    // JSON has no NaN: a figure that could not be measured is null.
    private static JsonNode? Number(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 4));
}

/// <summary>What the report says about the run itself.</summary>
internal sealed record RunInfo(DateTimeOffset StartedAt, double Seconds, string Machine, object Settings, double? LoadAtStart, double? LoadAtEnd);
