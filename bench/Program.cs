using System.Diagnostics;
using LockService.Bench;
using LockService.Bench.Hosting;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Bench.Scenarios;
using LockService.Bench.Timing;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"bench: {exception.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var startedAt = DateTimeOffset.UtcNow;
var loadAtStart = Machine.LoadAverage();
var clock = Stopwatch.StartNew();
var results = new BenchResults();
var settings = options.Scenarios;

var (delayP50, delayP99) = await PreciseDelay.Shared.CalibrateAsync();
Log($"precise 1 ms delay here: p50 {delayP50:F3} ms, p99 {delayP99:F3} ms");
results.Note($"A requested 1 ms delay (holds, pg-row retry sleeps) took p50 {delayP50:F3} ms, p99 {delayP99:F3} ms on this machine.");

foreach (var peerName in options.Peers)
{
    Log($"peer {peerName}: starting");
    try
    {
        await RunPeerAsync(peerName);
    }
    catch (Exception exception)
    {
        results.Fail($"{peerName}: the run of this peer failed: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine(exception);
    }
}

var machine = await Machine.DescribeAsync(options.Postgres, options.Redis);
var run = new RunInfo(startedAt, clock.Elapsed.TotalSeconds, machine, settings, loadAtStart, Machine.LoadAverage());
var targets = Targets.Evaluate(results);
var markdown = Report.Markdown(results, targets, run);
Console.WriteLine();
Console.WriteLine(markdown);

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.ResultsFile))!);
await File.WriteAllTextAsync(options.ResultsFile, Report.Json(results, targets, run));
if (options.MarkdownFile is { } markdownFile)
{
    await File.WriteAllTextAsync(markdownFile, markdown);
}

Log($"results written to {options.ResultsFile}");
if (results.Failures.Count > 0)
{
    Log($"FAILED: {results.Failures.Count} correctness failure(s); see above.");
    return 1;
}

return 0;

async Task RunPeerAsync(string peerName)
{
    switch (peerName)
    {
        case "pg-row":
            await using (var peer = await PgRowLock.CreateAsync(options.Postgres))
            {
                await RunScenariosAsync(peer);
            }

            break;
        case "pg-advisory":
            await using (var peer = new PgAdvisoryLock(options.Postgres))
            {
                await RunScenariosAsync(peer);
            }

            break;
        case "redis":
            await using (var peer = await RedisLock.CreateAsync(options.Redis))
            {
                await RunScenariosAsync(peer);
            }

            break;
        case "orleans-1":
        case "orleans-3":
        {
            var silos = peerName == "orleans-1" ? 1 : 3;
            var started = Stopwatch.GetTimestamp();
            await using var cluster = await SiloCluster.StartAsync(peerName, silos, options.SiloDll, options.Postgres, options.StateDirectory, []);
            Log($"peer {peerName}: {silos} silo process(es) serving after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            await using (var peer = await OrleansLock.ConnectAsync(peerName, cluster.Gateways, cluster.ClusterId, cluster.ServiceId))
            {
                await RunScenariosAsync(peer);
            }

            await cluster.DisposeAsync();
            if (silos == 1)
            {
                // A fresh silo of its own, so its memory and its lock activations are those of this scenario alone.
                Log($"peer {peerName}: scenario (e), {settings.ScaleLocks:N0} locks, on a fresh silo");
                await using var scaleCluster = await SiloCluster.StartAsync($"{peerName}-scale", 1, options.SiloDll, options.Postgres, options.StateDirectory, []);
                await using var peer = await OrleansLock.ConnectAsync(peerName, scaleCluster.Gateways, scaleCluster.ClusterId, scaleCluster.ServiceId);
                var grains = (IGrainFactory)peer.Services.GetService(typeof(IGrainFactory))!;
                await Scale.RunAsync(peer, grains, scaleCluster.Silos[0], settings, results);
                LogScenario(Scale.Id, peerName);
            }

            break;
        }
        default:
            throw new ArgumentOutOfRangeException(nameof(peerName), peerName, "Unknown peer.");
    }
}

async Task RunScenariosAsync(IBenchLock peer)
{
    await Uncontended.RunAsync(peer, settings, results);
    LogScenario(Uncontended.Id, peer.Name);
    await ManyNames.RunAsync(peer, settings, results);
    LogScenario(ManyNames.Id, peer.Name);
    await HotTry.RunAsync(peer, settings, results);
    LogScenario(HotTry.Id, peer.Name);
    await HotWait.RunAsync(peer, settings, results);
    LogScenario(HotWait.Id, peer.Name);
}

void LogScenario(string scenario, string peer)
{
    var metrics = results.Scenarios.GetValueOrDefault(scenario)?.GetValueOrDefault(peer);
    var text = metrics is null ? "(nothing)" : string.Join(", ", metrics.Select(m => $"{m.Key}={Targets.Format(m.Value)}"));
    Log($"({scenario}) {peer}: {text}");
}

void Log(string message) => Console.Error.WriteLine($"bench [{clock.Elapsed.TotalSeconds,6:F1}s]: {message}");
