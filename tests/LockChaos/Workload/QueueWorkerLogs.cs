using System.Globalization;

namespace LockService.Chaos.Workload;

/// <summary>One worker incarnation's log (see <see cref="QueueWorker"/>) and, if the test killed it, when.</summary>
/// <param name="Worker">The worker name it claimed as.</param>
/// <param name="Lines">Its log lines; a last line cut short by a kill is ignored.</param>
/// <param name="KilledAtMs">When it was killed (Unix milliseconds, taken after it had exited), or null if it was not.</param>
public sealed record QueueWorkerLog(string Worker, IReadOnlyList<string> Lines, long? KilledAtMs);

/// <summary>
/// Judges the logs of queue workers against the queue's own counts, after every task was reported done:
/// <list type="bullet">
/// <item>none lost: the queue counts every enqueued task done and none pending, claimed or dead, and each was claimed;</item>
/// <item>completed once: one completion per task, by its last claim, and the queue's per-worker completed counts equal
/// what the workers logged (a worker killed between its completion and its log line accounts for one);</item>
/// <item>never two live claims on one task: ordered by claim token, each claim's work (from its start to its end, its
/// loss signal or its worker's death, whichever came first) is over before the next claim of the task starts.</item>
/// </list>
/// </summary>
public static class QueueWorkerLogs
{
    /// <summary>The rule violations found, each a sentence naming the task or worker; empty when all hold.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyCollection<string> taskIds, QueueStats stats, IEnumerable<QueueWorkerLog> logs)
    {
        var violations = new List<string>();
        var claims = Parse(logs.ToList(), violations);
        var total = taskIds.Count;
        if ((stats.Done, stats.Pending, stats.Claimed, stats.Dead) != (total, 0, 0, 0))
        {
            violations.Add($"the queue counts {stats.Done} done, {stats.Pending} pending, {stats.Claimed} claimed, {stats.Dead} dead; expected {total} done and nothing else");
        }

        var byTask = claims.GroupBy(c => c.TaskId).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Token).ToList());
        foreach (var unknown in byTask.Keys.Except(taskIds))
        {
            violations.Add($"task {unknown} was claimed but never enqueued");
        }

        var completions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var taskId in taskIds)
        {
            if (!byTask.TryGetValue(taskId, out var taskClaims))
            {
                violations.Add($"task {taskId} was never claimed by any worker");
                continue;
            }

            CheckCompletion(taskId, taskClaims, completions, violations);
            CheckNoOverlap(taskId, taskClaims, violations);
        }

        foreach (var worker in completions.Keys.Union(stats.CompletedByWorker.Keys).Order(StringComparer.Ordinal))
        {
            var logged = completions.GetValueOrDefault(worker);
            var counted = stats.CompletedByWorker.GetValueOrDefault(worker);
            if (logged != counted)
            {
                violations.Add($"worker {worker}: the queue counts {counted} completions, its log shows {logged}");
            }
        }

        return violations;
    }

    /// <summary>One completion per task, by its last claim: a logged "done", or a killed worker's last claim that ended its work.</summary>
    private static void CheckCompletion(string taskId, List<Claim> taskClaims, Dictionary<string, long> completions, List<string> violations)
    {
        var done = taskClaims.Where(c => c.Outcome == "done").ToList();
        var last = taskClaims[^1];
        if (done.Count > 1)
        {
            violations.Add($"task {taskId} was completed {done.Count} times (claim tokens {string.Join(", ", done.Select(c => c.Token))})");
        }

        if (done.Count == 1 && done[0] != last)
        {
            violations.Add($"task {taskId} was completed by claim token {done[0].Token}, but claimed again later with token {last.Token}");
        }

        // Killed (or unanswered) between the end of its work and the log line of its completion: the queue's count
        // decides whether the completion landed, so it is counted for that worker.
        var unlogged = done.Count == 0 && last.EndMs is not null && last.Outcome is null or "unknown" && (last.KilledAtMs is not null || last.Outcome == "unknown");
        if (done.Count == 0 && !unlogged)
        {
            violations.Add($"task {taskId}: no claim completed it (last claim token {last.Token} by {last.Worker} ended with {last.Outcome ?? (last.EndMs is null ? "no end" : "no completion")})");
        }

        foreach (var completion in unlogged ? done.Append(last) : done)
        {
            completions[completion.Worker] = completions.GetValueOrDefault(completion.Worker) + 1;
        }
    }

    private static void CheckNoOverlap(string taskId, List<Claim> taskClaims, List<string> violations)
    {
        for (var i = 1; i < taskClaims.Count; i++)
        {
            var (before, after) = (taskClaims[i - 1], taskClaims[i]);
            if (before.Token == after.Token)
            {
                violations.Add($"task {taskId}: claim token {after.Token} was handed out twice ({before.Worker} and {after.Worker})");
                continue;
            }

            var over = new[] { before.LostMs, before.EndMs, before.KilledAtMs }.Where(t => t is not null).Min();
            if (over is null)
            {
                violations.Add($"task {taskId}: claim token {before.Token} by {before.Worker} never ended, yet token {after.Token} started");
            }
            else if (over > after.StartMs)
            {
                violations.Add($"task {taskId}: claim token {after.Token} by {after.Worker} started at {after.StartMs} while token {before.Token} by {before.Worker} was still live (until {over})");
            }
        }
    }

    private static List<Claim> Parse(List<QueueWorkerLog> logs, List<string> violations)
    {
        var claims = new List<Claim>();
        foreach (var log in logs)
        {
            var open = new Dictionary<(string, long), Claim>();
            foreach (var line in log.Lines)
            {
                var fields = line.Split(' ');
                if (fields.Length < 4 || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var token)
                    || !long.TryParse(fields[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
                {
                    // A line cut short by SIGKILL can only be the last one.
                    if (line != log.Lines[^1])
                    {
                        violations.Add($"worker {log.Worker}: unreadable log line '{line}'");
                    }

                    continue;
                }

                var key = (fields[1], token);
                if (fields[0] == "start")
                {
                    open[key] = new Claim(log.Worker, fields[1], token, ms, log.KilledAtMs);
                    claims.Add(open[key]);
                }
                else if (!open.TryGetValue(key, out var claim))
                {
                    violations.Add($"worker {log.Worker}: '{line}' without a start");
                }
                else if (fields[0] == "lost")
                {
                    claim.LostMs ??= ms;
                }
                else if (fields[0] == "end")
                {
                    claim.EndMs ??= ms;
                }
                else
                {
                    claim.Outcome ??= fields[0];
                }
            }
        }

        return claims;
    }

    /// <summary>One claim as its worker logged it.</summary>
    private sealed class Claim(string worker, string taskId, long token, long startMs, long? killedAtMs)
    {
        public string Worker { get; } = worker;

        public string TaskId { get; } = taskId;

        public long Token { get; } = token;

        public long StartMs { get; } = startMs;

        public long? KilledAtMs { get; } = killedAtMs;

        public long? LostMs { get; set; }

        public long? EndMs { get; set; }

        /// <summary>done, refused, failed or unknown; null when the log shows none.</summary>
        public string? Outcome { get; set; }
    }
}
