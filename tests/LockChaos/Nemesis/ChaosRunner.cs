using System.Diagnostics;
using System.Text.Json;
using LockService.Chaos.History;
using LockService.Chaos.Workload;
using LockService.Testing;
using Npgsql;

namespace LockService.Chaos.Nemesis;

/// <summary>Runs chaos tests one after another, each on a fresh database, and judges each history.</summary>
public sealed class ChaosRunner(PostgresControl postgres, string sqlFolder, string outputFolder)
{
    public async Task<(CheckReport Report, TimeSpan Elapsed)> RunAsync(ChaosTest test)
    {
        var started = Stopwatch.StartNew();
        var historyFolder = Path.Combine(outputFolder, test.Name);
        if (Directory.Exists(historyFolder))
        {
            Directory.Delete(historyFolder, recursive: true);
        }

        Directory.CreateDirectory(historyFolder);
        var database = await SchemaDatabase.CreateAsync(postgres.AdminConnectionString, Truncate($"chaos_{test.Name.Replace('-', '_')}_{Guid.NewGuid():N}", 50), sqlFolder, ProtectedResources.Schema);
        if (test.Queue is { } queue)
        {
            var queueReport = await QueueChaosRun.RunAsync(test, queue, database, historyFolder);
            await File.WriteAllTextAsync(Path.Combine(historyFolder, "report.json"), JsonSerializer.Serialize(queueReport, new JsonSerializerOptions { WriteIndented = true }));
            return (queueReport, started.Elapsed);
        }

        Console.WriteLine($"== {test.Name}: {test.Settings.Clients} clients × {test.Settings.WorkersPerClient}, {test.Settings.Locks} locks, TTL {test.Settings.Ttl.TotalSeconds:0.#} s, {test.Settings.Duration.TotalSeconds:0} s, release {test.Settings.ReleaseMode}");

        var notes = new List<string>();
        var failures = new List<string>();
        const int silos = 3;
        await using var network = test.SiloNetworks ? new SiloNetwork(postgres, silos) : null;
        if (network is not null)
        {
            await network.SetUpAsync();
        }

        await using (var cluster = new ChaosCluster(test.Settings, database, historyFolder, test.Name) { Network = network })
        {
            await cluster.StartSilosAsync(silos, test.SiloArguments, network is null ? null : network.Placement);
            test.Settings.StartedAt = DateTime.UtcNow;
            cluster.StartClients(test.Settings.Clients);
            await cluster.WaitForWorkloadAsync(TimeSpan.FromSeconds(60));
            using var stop = new CancellationTokenSource(test.Settings.StartedAt + test.Settings.Duration - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero);
            try
            {
                await test.Nemesis(cluster, test.Settings, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            await cluster.WaitForClientsAsync(TimeSpan.FromSeconds(60));
            notes.AddRange(cluster.Notes);
            failures.AddRange(cluster.Failures);
        }

        var final = await ReadFinalStateAsync(database);
        var events = HistoryFile.ReadAll(historyFolder);
        var input = new CheckInput(final, test.Settings.RecoveryBound, test.MeasureC3, test.MeasureC7);
        await input.WriteAsync(historyFolder);
        var report = HistoryChecker.Check(events, input.Final, input.RecoveryBound, input.MeasureC3, input.MeasureC7);
        report.StaleSiloWritesRefused = SiloLogs.CountStaleWritesRefused(historyFolder);
        report.Notes.AddRange(notes);
        report.OtherFailures.AddRange(failures);
        await File.WriteAllTextAsync(Path.Combine(historyFolder, "report.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return (report, started.Elapsed);
    }

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    private static async Task<FinalState> ReadFinalStateAsync(string database)
    {
        // Storage may still be coming back from the last fault: retry the read for a while.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(database);
                await connection.OpenAsync();
                var stored = new Dictionary<string, long>();
                await using (var command = new NpgsqlCommand("SELECT grainidextensionstring, convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE payloadbinary IS NOT NULL", connection))
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        using var json = JsonDocument.Parse(reader.GetString(1));
                        stored[reader.GetString(0)] = json.RootElement.GetProperty("fencingToken").GetInt64();
                    }
                }

                var log = new List<(string, long, long)>();
                await using (var command = new NpgsqlCommand("SELECT lock_name, seq, token FROM chaos_fenced_log", connection))
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        log.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
                    }
                }

                var counters = new Dictionary<string, long>();
                await using (var command = new NpgsqlCommand("SELECT lock_name, value FROM chaos_counter", connection))
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        counters[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }

                return new FinalState(stored, log, counters);
            }
            catch (NpgsqlException) when (attempt < 30)
            {
                await Task.Delay(1000);
            }
        }
    }
}
