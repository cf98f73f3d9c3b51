using System.Text.Json;
using LockService.Chaos.Workload;

namespace LockService.Chaos.History;

/// <summary>
/// What the queue checker (<see cref="QueueWorkerLogs.Check"/>) needs besides the workers' logs, which stay in the
/// history folder: the task ids the producer was given, the queue's final counts, and which incarnation wrote which
/// log and when the test killed it. Kept as <c>queue-check-input.json</c> so <c>LockChaos check DIR</c> can judge a
/// queue run again after its cluster and database are gone, as <see cref="CheckInput"/> does for the lock histories.
/// </summary>
public sealed record QueueCheckInput(IReadOnlyList<string> TaskIds, QueueStats Stats, IReadOnlyList<QueueCheckInput.WorkerLog> Workers)
{
    public const string FileName = "queue-check-input.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>One worker incarnation: its name, its log file's name in the folder, and when it was killed (Unix ms), if it was.</summary>
    public sealed record WorkerLog(string Worker, string LogFile, long? KilledAtMs);

    public static bool ExistsIn(string folder) => File.Exists(Path.Combine(folder, FileName));

    public Task WriteAsync(string folder) => File.WriteAllTextAsync(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    public static QueueCheckInput Read(string folder) =>
        JsonSerializer.Deserialize<QueueCheckInput>(File.ReadAllText(Path.Combine(folder, FileName)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(folder, FileName)} is empty.");

    /// <summary>The workers' logs as the checker reads them, from <paramref name="folder"/>.</summary>
    public IReadOnlyList<QueueWorkerLog> ReadLogs(string folder) => Workers
        .Select(worker =>
        {
            var path = Path.Combine(folder, worker.LogFile);
            return new QueueWorkerLog(worker.Worker, File.Exists(path) ? File.ReadAllLines(path) : [], worker.KilledAtMs);
        })
        .ToList();

    /// <summary>The rule violations <see cref="QueueWorkerLogs.Check"/> finds in <paramref name="folder"/>'s logs.</summary>
    public IReadOnlyList<string> Check(string folder)
    {
        var violations = QueueWorkerLogs.Check(TaskIds, Stats, ReadLogs(folder)).ToList();
        var repeated = TaskIds.Count - TaskIds.Distinct().Count();
        if (repeated != 0)
        {
            violations.Add($"keyed enqueue returned {repeated} task id(s) for a second key");
        }

        return violations;
    }
}
