using System.Diagnostics;
using System.Net.Http;
using LockService.Testing;

namespace LockService.Bench.Hosting;

/// <summary>
/// Seed 001's workers: <paramref name="count"/> uvicorn processes of bench/seed001/app.py (FastAPI, SKIP LOCKED on the
/// run's PostgreSQL), one per port, as the seed's compose runs one per container. Each pid goes into the state directory
/// so <c>scripts/bench.sh</c> stops them even if this program dies.
/// </summary>
internal sealed class Seed001Workers : IAsyncDisposable
{
    // Debian's own interpreter: the packages are Debian's, and a python3 earlier on the PATH (pyenv, say) lacks them.
    private static readonly string DebianPython = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private readonly List<(Process Process, string PidFile)> _workers = [];

    private Seed001Workers()
    {
    }

    /// <summary>Each worker's address.</summary>
    public List<Uri> Urls { get; } = [];

    public static async Task<Seed001Workers> StartAsync(int count, string repository, string postgres, string stateDirectory)
    {
        var workers = new Seed001Workers();
        try
        {
            var url = PostgresUrl(postgres);
            foreach (var (port, index) in FreePorts.Take(count).Select((port, index) => (port, index)))
            {
                var start = new ProcessStartInfo(DebianPython)
                {
                    WorkingDirectory = Path.Combine(repository, "bench", "seed001"),
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                foreach (var argument in new[] { "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", $"{port}", "--no-access-log", "--log-level", "warning" })
                {
                    start.ArgumentList.Add(argument);
                }

                start.Environment["DATABASE_URL"] = url;
                start.Environment["APP_NAME"] = $"WORKER-{index + 1}";
                var process = Process.Start(start)!;
                var log = Path.Combine(stateDirectory, $"seed001-worker-{index + 1}.log");
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                _ = CopyAsync(process.StandardError, log);
                var pidFile = Path.Combine(stateDirectory, $"seed001-worker-{index + 1}.pid");
                File.WriteAllText(pidFile, $"{process.Id}\n");
                workers._workers.Add((process, pidFile));
                workers.Urls.Add(new Uri($"http://127.0.0.1:{port}"));
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
            foreach (var (worker, (process, _)) in workers.Urls.Zip(workers._workers))
            {
                while (!await AnswersAsync(http, worker))
                {
                    if (process.HasExited || Stopwatch.GetTimestamp() > deadline)
                    {
                        throw new InvalidOperationException($"seed-001 worker {worker} did not start (exited: {process.HasExited}); see {stateDirectory}/seed001-worker-*.log");
                    }

                    await Task.Delay(100);
                }
            }

            return workers;
        }
        catch
        {
            await workers.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, pidFile) in _workers)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
            File.Delete(pidFile);
        }

        _workers.Clear();
    }

    /// <summary>The run's Npgsql connection string as the <c>postgresql://</c> URL psycopg2 takes.</summary>
    private static string PostgresUrl(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var user = Uri.EscapeDataString(builder.Username ?? "postgres");
        var password = string.IsNullOrEmpty(builder.Password) ? "" : $":{Uri.EscapeDataString(builder.Password)}";
        return $"postgresql://{user}{password}@{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "postgres")}";
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri worker)
    {
        try
        {
            return (await http.GetAsync(worker)).IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task CopyAsync(StreamReader from, string path)
    {
        await using var to = File.CreateText(path);
        await from.BaseStream.CopyToAsync(to.BaseStream);
    }
}
