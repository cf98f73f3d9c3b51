using System.Collections.Concurrent;
using System.Diagnostics;

namespace LockService.Chaos.Workload;

/// <summary>
/// A queue worker process (<c>LockChaos queue-worker</c>, see <see cref="QueueWorker"/>) on a cluster of silo
/// processes, for the queue process test and the chaos suite's queue workload. It logs its claims to
/// <see cref="LogPath"/>; the test kills it with SIGKILL and notes when. Every process is killed on dispose.
/// </summary>
public sealed class QueueWorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private int _disposed;

    private QueueWorkerProcess(Process process, string worker, string logPath)
    {
        _process = process;
        Worker = worker;
        LogPath = logPath;
    }

    public string Worker { get; }

    public string LogPath { get; }

    /// <summary>When the test killed it (Unix milliseconds, after it had exited), or null.</summary>
    public long? KilledAtMs { get; private set; }

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts worker <paramref name="worker"/> on <paramref name="queue"/>; its log is <c>{worker}.log</c> in <paramref name="logFolder"/>.</summary>
    /// <param name="gateways">Every silo's gateway.</param>
    /// <param name="clusterId">The cluster's id.</param>
    /// <param name="serviceId">The cluster's service id.</param>
    /// <param name="queue">The queue to work off.</param>
    /// <param name="worker">The worker's name: unique per process, since the checker matches the queue's counts per worker.</param>
    /// <param name="logFolder">Where its log goes.</param>
    /// <param name="ttl">Each claim's lease length.</param>
    /// <param name="workMs">How long one task's work takes, in milliseconds: <c>MIN-MAX</c>.</param>
    /// <param name="failurePercent">How often the work fails and the task is abandoned.</param>
    public static QueueWorkerProcess Start(IEnumerable<string> gateways, string clusterId, string serviceId, string queue, string worker, string logFolder, TimeSpan ttl, string workMs, int failurePercent)
    {
        var logPath = Path.Combine(logFolder, $"{worker}.log");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "LockChaos.dll"), "queue-worker", "--worker", worker, "--gateways", string.Join(',', gateways),
                     "--cluster-id", clusterId, "--service-id", serviceId, "--queue", queue, "--log", logPath,
                     "--ttl-ms", $"{(int)ttl.TotalMilliseconds}", "--work-ms", workMs, "--failure-percent", $"{failurePercent}",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var created = new QueueWorkerProcess(process, worker, logPath);
        process.OutputDataReceived += (_, e) => created.Record(e.Data);
        process.ErrorDataReceived += (_, e) => created.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return created;
    }

    /// <summary>SIGKILL, as a machine dies; returns once the process is gone and notes the time.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        KilledAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    public string[] ReadLog() => File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];

    /// <summary>Its log as the checker reads it (<see cref="QueueWorkerLogs.Check"/>).</summary>
    public QueueWorkerLog ToLog() => new(Worker, ReadLog(), KilledAtMs);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
