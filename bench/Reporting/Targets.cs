namespace LockService.Bench.Reporting;

/// <summary>One target of issue 7 (of issue 13 for (f), of issue 19 where it says so): a ratio (or a plain figure) measured in this run, its limit, and whether it is met.</summary>
internal sealed record TargetResult(string Name, double? Value, double Limit, bool Met, string Comparison, string Detail);

/// <summary>
/// The targets of issue 7, each computed from figures of the same run. The service is judged as <c>orleans-1</c>
/// (one silo, the same single PostgreSQL as the peers); <c>orleans-3</c> is reported beside it.
/// </summary>
internal static class Targets
{
    public const string Subject = "orleans-1";

    public static IReadOnlyList<TargetResult> Evaluate(BenchResults r)
    {
        var targets = new List<TargetResult>
        {
            AtMost("(a) pair p50: orleans-1 / pg-row", Ratio(r, "a", "pair_p50_ms", "pg-row"), 1.5,
                Detail(r, "a", "pair_p50_ms", "pg-row", "ms")),
            AtLeast("(b) pairs/s: orleans-1 / pg-row", Ratio(r, "b", "pairs_per_s", "pg-row"), 1.0,
                Detail(r, "b", "pairs_per_s", "pg-row", "/s")),
            AtLeast("(c) failed tries/s: orleans-1 / pg-row", Ratio(r, "c", "refused_per_s", "pg-row"), 10.0,
                Detail(r, "c", "refused_per_s", "pg-row", "/s")),
            AtLeast("(c) successful tries/s: orleans-1 / pg-advisory", Ratio(r, "c", "acquired_per_s", "pg-advisory"), 1.0,
                Detail(r, "c", "acquired_per_s", "pg-advisory", "/s")),
            AtMost("(a)-(d), (f) overlaps, every peer", TotalOverlaps(r), 0, "holders counted in process, in (b) at every scale, in (f) more than 4 or two of one slot; any overlap fails the run"),
            AtMost("(d) handoff p50: orleans-1 / pg-advisory", Ratio(r, "d", "handoff_p50_ms", "pg-advisory"), 2.0,
                Detail(r, "d", "handoff_p50_ms", "pg-advisory", "ms")),
            AtMost("(d) handoff p50: orleans-1 / pg-row", Ratio(r, "d", "handoff_p50_ms", "pg-row"), 0.5,
                Detail(r, "d", "handoff_p50_ms", "pg-row", "ms")),
            AtLeast("(d) grants/s: orleans-1 / pg-advisory", Ratio(r, "d", "grants_per_s", "pg-advisory"), 0.7,
                Detail(r, "d", "grants_per_s", "pg-advisory", "/s")),
            AtMost("(d) releaser regains the lock, % of handoffs (orleans-1)", r.Get("d", Subject, "regained_pct"), 5.0,
                "straight back to the client that just released it"),
            AtLeast("(d) fewest grants of a client / mean (orleans-1)", r.Get("d", Subject, "min_to_mean"), 0.5,
                $"fewest {Format(r.Get("d", Subject, "min_grants_per_client"))}, mean {Format(r.Get("d", Subject, "mean_grants_per_client"))}"),
            AtLeast("(f) semaphore grants/s: orleans-1 / redis", Ratio(r, "f", "grants_per_s", "redis"), 1.0,
                Detail(r, "f", "grants_per_s", "redis", "/s")),
            AtMost("(f) semaphore handoff p50, ms (orleans-1)", r.Get("f", Subject, "handoff_p50_ms"), 2.0,
                $"p99 {Format(r.Get("f", Subject, "handoff_p99_ms"))} ms; redis p50 {Format(r.Get("f", "redis", "handoff_p50_ms"))} ms, pg-row p50 {Format(r.Get("f", "pg-row", "handoff_p50_ms"))} ms"),
            AtMost("(e) silo memory per held lock, bytes (orleans-1)", r.Get("e", Subject, "bytes_per_held_lock"), 4096,
                $"RSS {Format(r.Get("e", Subject, "rss_before_mib"))} MiB before, {Format(r.Get("e", Subject, "rss_held_mib"))} MiB with {Format(r.Get("e", Subject, "locks_held"))} locks held"),
            AtMost("(e) lock grains still active after release and idle wait, % of held", IdleActivePercent(r), 1.0,
                $"{Format(r.Get("e", Subject, "activations_after_idle"))} of {Format(r.Get("e", Subject, "activations_held"))} activations left after {Format(r.Get("e", Subject, "idle_wait_s"))} s"),
            AtLeast("(e) silo memory returned after the idle wait, % of what the held locks took", r.Get("e", Subject, "memory_returned_pct"), 50,
                $"RSS {Format(r.Get("e", Subject, "rss_held_mib"))} MiB held, {Format(r.Get("e", Subject, "rss_idle_mib"))} MiB after the idle wait, {Format(r.Get("e", Subject, "rss_before_mib"))} MiB before"),
        };

        // Issue 19's stricter targets, for one and three silos on their defaults, against the same fair baselines.
        foreach (var subject in new[] { Subject, "orleans-3" })
        {
            targets.Add(AtMost($"(a) pair p50: {subject} / pg-row (issue 19)", Ratio(r, "a", "pair_p50_ms", "pg-row", subject), 1.2,
                Detail(r, "a", "pair_p50_ms", "pg-row", "ms", subject)));
            targets.Add(AtLeast($"(b) pairs/s: {subject} / pg-row (issue 19)", Ratio(r, "b", "pairs_per_s", "pg-row", subject), 1.5,
                Detail(r, "b", "pairs_per_s", "pg-row", "/s", subject)));
            targets.Add(AtLeast($"(d) grants/s: {subject} / pg-advisory (issue 19)", Ratio(r, "d", "grants_per_s", "pg-advisory", subject), 0.8,
                Detail(r, "d", "grants_per_s", "pg-advisory", "/s", subject)));
        }

        targets.AddRange(QueueTargets(r));
        targets.AddRange(HttpTargets(r));
        return targets;
    }

    /// <summary>The work queue's targets (issue 14), judged on <c>orleans-3</c>; only when the queue scenarios ran.</summary>
    private static IEnumerable<TargetResult> QueueTargets(BenchResults r)
    {
        const string queuePeer = "orleans-3";
        var headline = Scenarios.QueueThroughput.Id(10_000);
        // The queue lengths measured, shortest and longest (1,000 and 100,000 in a full run).
        var lengths = r.Scenarios.Where(scenario => scenario.Key.StartsWith("q-", StringComparison.Ordinal))
            .Select(scenario => scenario.Value.Values.Select(metrics => metrics.GetValueOrDefault("pending")).FirstOrDefault())
            .Where(pending => pending > 0)
            .Order()
            .ToList();
        if (lengths.Count == 0)
        {
            yield break;
        }

        var (small, large) = (Scenarios.QueueThroughput.Id((int)lengths[0]), Scenarios.QueueThroughput.Id((int)lengths[^1]));

        yield return AtLeast("(q) claims/s at 10,000 pending: orleans-3 / pg-skip-leased",
            r.Get(headline, queuePeer, "claims_per_s") is { } ours && r.Get(headline, "pg-skip-leased", "claims_per_s") is { } theirs && theirs != 0 ? ours / theirs : null, 1.0,
            $"orleans-3 {Format(r.Get(headline, queuePeer, "claims_per_s"))} /s vs pg-skip-leased {Format(r.Get(headline, "pg-skip-leased", "claims_per_s"))} /s (pg-skip-held {Format(r.Get(headline, "pg-skip-held", "claims_per_s"))} /s)");
        yield return AtMost("(q) duplicate completions, every peer and queue length",
            r.Scenarios.Where(scenario => Report.IsQueueScenario(scenario.Key)).Sum(scenario => scenario.Value.Values.Sum(metrics => metrics.GetValueOrDefault("duplicate_completions"))), 0,
            "a task completed twice fails the run");
        yield return AtMost("(q) grain-storage bytes per claim, longest / shortest queue (orleans-3)",
            r.Get(large, queuePeer, "storage_bytes_per_claim") is { } atLarge && r.Get(small, queuePeer, "storage_bytes_per_claim") is { } atSmall && atSmall != 0 ? atLarge / atSmall : null, 1.1,
            $"{Format(r.Get(large, queuePeer, "storage_bytes_per_claim"))} B at {Format(lengths[^1])} pending vs {Format(r.Get(small, queuePeer, "storage_bytes_per_claim"))} B at {Format(lengths[0])} (from each storage row's version × its size)");
    }

    /// <summary>The HTTP API's targets (issue 15): seed 001's own system beaten through the same nginx, and what HTTP adds to a pair.</summary>
    private static IEnumerable<TargetResult> HttpTargets(BenchResults r)
    {
        if (r.Get("a", "http-1", "pair_p50_ms") is { } overHttp && r.Get("a", Subject, "pair_p50_ms") is { } overOrleans)
        {
            yield return AtMost("(a) HTTP overhead: pair p50, http-1 minus orleans-1, ms", overHttp - overOrleans, 0.3,
                $"http-1 {Format(overHttp)} ms (HttpClient to the silo's HTTP port) vs orleans-1 {Format(overOrleans)} ms (the .NET client through the gateway)");
        }

        var seed = r.Scenarios.Keys.FirstOrDefault(key => key.StartsWith("h-", StringComparison.Ordinal));
        if (seed is not null)
        {
            yield return AtLeast("(h) claims/s through nginx: http-3 / seed-001",
                r.Get(seed, "http-3", "claims_per_s") is { } ours && r.Get(seed, "seed-001", "claims_per_s") is { } theirs && theirs != 0 ? ours / theirs : null, 1.0,
                $"http-3 {Format(r.Get(seed, "http-3", "claims_per_s"))} /s (claim + complete, two requests, durable) vs seed-001 {Format(r.Get(seed, "seed-001", "claims_per_s"))} /s (one request, the row lock of an open transaction); p50 {Format(r.Get(seed, "http-3", "claim_p50_ms"))} vs {Format(r.Get(seed, "seed-001", "claim_p50_ms"))} ms");
        }
    }

    private static double? Ratio(BenchResults r, string scenario, string metric, string peer, string subject = Subject) =>
        r.Get(scenario, subject, metric) is { } ours && r.Get(scenario, peer, metric) is { } theirs && theirs != 0 ? ours / theirs : null;

    private static string Detail(BenchResults r, string scenario, string metric, string peer, string unit, string subject = Subject) =>
        $"{subject} {Format(r.Get(scenario, subject, metric))} {unit} vs {peer} {Format(r.Get(scenario, peer, metric))} {unit}";

    private static double? TotalOverlaps(BenchResults r)
    {
        var total = 0.0;
        foreach (var peers in r.Scenarios.Values)
        {
            foreach (var metrics in peers.Values)
            {
                total += metrics.GetValueOrDefault("overlaps");
            }
        }

        return total;
    }

    private static double? IdleActivePercent(BenchResults r) =>
        r.Get("e", Subject, "activations_after_idle") is { } left && r.Get("e", Subject, "activations_held") is { } held && held > 0 ? 100.0 * left / held : null;

    private static TargetResult AtMost(string name, double? value, double limit, string detail) =>
        new(name, value, limit, value is { } v && !double.IsNaN(v) && v <= limit, "<=", detail);

    private static TargetResult AtLeast(string name, double? value, double limit, string detail) =>
        new(name, value, limit, value is { } v && !double.IsNaN(v) && v >= limit, ">=", detail);

    public static string Format(double? value) => value switch
    {
        null => "n/a",
        double v when double.IsNaN(v) => "n/a",
        double v when Math.Abs(v) >= 1000 => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        double v when Math.Abs(v) >= 100 => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture),
        double v when Math.Abs(v) >= 10 => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
        double v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture),
    };
}
