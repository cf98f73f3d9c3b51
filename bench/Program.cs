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

var database = await PostgresActivity.AttachAsync(options.Postgres);
var cpu = new CpuLedger(database);
// The silo processes of each lock service peer of (a)-(d) and (f), whose CPU time per operation is reported.
var siloProcesses = new Dictionary<string, int[]>(StringComparer.Ordinal);
if (options.TimedScenarios.Count > 0)
{
    await RunScenariosAsync();
}

if (options.RunsScale && options.Peers.Contains("orleans-1"))
{
    await RunScaleAsync();
}

if (options.QueuePending.Count > 0)
{
    await RunQueueAsync();
}

if (options.RunsHttp)
{
    await RunHttpAsync();
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

// (a)-(d), (f) and b-large: every peer up at once, each scenario in windows that take turns between the peers (or, for
// (b), one window per peer and a pause).
async Task RunScenariosAsync()
{
    var peers = new List<IBenchLock>();
    var clusters = new List<SiloCluster>();
    try
    {
        foreach (var peerName in options.Peers)
        {
            if (Report.RunsOnlyUncontended(peerName) && !options.TimedScenarios.Contains("a"))
            {
                continue;
            }

            Log($"peer {peerName}: starting");
            try
            {
                peers.Add(await StartPeerAsync(peerName, clusters));
            }
            catch (Exception exception)
            {
                results.Fail($"{peerName}: could not be started: {exception.GetType().Name}: {exception.Message}");
                Console.Error.WriteLine(exception);
            }
        }

        foreach (var peer in peers)
        {
            results.Configure(peer.Name, peer.Configuration);
        }

        IScenario[] all =
        [
            new Uncontended(settings),
            new ManyNames(settings, "b", settings.Names, database, measuresMemory: false),
            new HotTry(settings),
            new HotWait(settings),
            new HotSemaphore(settings),
            new ManyNames(settings, "b-large", settings.LargeNames, database, measuresMemory: true, settings.LargeNamesPeers),
        ];
        var scenarios = all.Where(s => options.TimedScenarios.Contains(s.Id)).ToArray();
        foreach (var scenario in scenarios)
        {
            // The HTTP peers run (a) only: their figure is HTTP's cost per pair, not another backend's throughput.
            var running = peers.Where(scenario.Includes).Where(peer => scenario.Id == "a" || !Report.RunsOnlyUncontended(peer.Name)).ToList();
            if (scenario.Contiguous)
            {
                Log($"({scenario.Id}): per peer ({string.Join(", ", running.Select(p => p.Name))}) a warm-up, one window of {settings.Duration.TotalSeconds:F1} s and a pause until PostgreSQL is quiet");
                foreach (var peer in running)
                {
                    await RunGuardedAsync(peers, peer, scenario, () => scenario.WarmUpAsync(peer));
                    await RunGuardedAsync(peers, peer, scenario, () => MeasureAsync(scenario, peer, settings.Duration));
                }
            }
            else
            {
                var window = settings.Duration / settings.Rounds;
                Log($"({scenario.Id}): warm-up, then {settings.Rounds} windows of {window.TotalSeconds:F1} s per peer, taking turns");
                foreach (var peer in running)
                {
                    await RunGuardedAsync(peers, peer, scenario, () => scenario.WarmUpAsync(peer));
                }

                for (var round = 0; round < settings.Rounds; round++)
                {
                    // A different peer goes first in every round: none always runs right after the same neighbour.
                    var order = running.Skip(round % Math.Max(1, running.Count)).Concat(running.Take(round % Math.Max(1, running.Count))).ToArray();
                    foreach (var peer in order)
                    {
                        await RunGuardedAsync(peers, peer, scenario, () => MeasureAsync(scenario, peer, window));
                    }
                }
            }

            foreach (var peer in running.Where(peers.Contains))
            {
                scenario.Report(peer, results);
                cpu.Report(scenario.Id, peer.Name, siloProcesses.ContainsKey(peer.Name), results);
                LogScenario(scenario.Id, peer.Name);
            }
        }
    }
    finally
    {
        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }

        foreach (var cluster in clusters)
        {
            await cluster.DisposeAsync();
        }
    }
}

// (e): a fresh one-silo cluster of its own, so its memory and its lock activations are this scenario's alone; its
// silo collects idle lock grains after 65 s (SiloVariant.IdleCollection) so the memory can come back within the run.
// Its figures are orleans-1's column; its settings are recorded as orleans-1-scale.
async Task RunScaleAsync()
{
    Log($"(e): {settings.ScaleLocks:N0} locks on a fresh silo");
    try
    {
        await using var cluster = await SiloCluster.StartAsync("orleans-1-scale", 1, SiloVariant.IdleCollection, options.SiloDll, options.Postgres, options.StateDirectory);
        await using var peer = await OrleansLock.ConnectAsync("orleans-1", cluster);
        results.Configure("orleans-1-scale", peer.Configuration);
        var grains = peer.Grains;
        await Scale.RunAsync(peer, grains, cluster.Silos[0], settings, results);
        LogScenario(Scale.Id, peer.Name);
    }
    catch (Exception exception)
    {
        results.Fail($"(e) orleans-1: the scenario failed: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine(exception);
    }
}

// One measured window, with the CPU time it took this process, the peer's silos and PostgreSQL.
Task MeasureAsync(IScenario scenario, IBenchLock peer, TimeSpan window) =>
    cpu.MeasureAsync(scenario.Id, peer.Name, siloProcesses.GetValueOrDefault(peer.Name) ?? [], () => scenario.MeasureAsync(peer, window));

// The work queue (issue 14): its own peers, pg-skip-held, pg-skip-leased and orleans-3 (three silos on their defaults,
// a cluster of its own), each through every queue length in turn.
async Task RunQueueAsync()
{
    Log($"(q): pg-skip-held, pg-skip-leased, orleans-3; {settings.Clients} workers at {string.Join(", ", options.QueuePending.Select(p => p.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} pending");
    var peers = new List<IBenchQueue>();
    SiloCluster? cluster = null;
    try
    {
        peers.Add(await PgSkipHeldQueue.CreateAsync(options.Postgres));
        peers.Add(await PgSkipLeasedQueue.CreateAsync(options.Postgres, settings.QueueTtl));
        cluster = await SiloCluster.StartAsync("orleans-3-queue", 3, SiloVariant.Defaults, options.SiloDll, options.Postgres, options.StateDirectory);
        peers.Add(await OrleansQueue.ConnectAsync(cluster, options.Postgres, settings.QueueTtl));
        foreach (var peer in peers)
        {
            results.Configure($"{peer.Name} (queue)", peer.Configuration);
        }

        foreach (var pending in options.QueuePending)
        {
            foreach (var peer in peers)
            {
                try
                {
                    await QueueThroughput.RunAsync(peer, pending, settings, results);
                    LogScenario(QueueThroughput.Id(pending), peer.Name);
                }
                catch (Exception exception)
                {
                    results.Fail($"({QueueThroughput.Id(pending)}) {peer.Name}: the run failed: {exception.GetType().Name}: {exception.Message}");
                    Console.Error.WriteLine(exception);
                }
            }
        }
    }
    catch (Exception exception)
    {
        results.Fail($"(q): the peers could not be started: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine(exception);
    }
    finally
    {
        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }

        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}

// (h), issue 15: seed 001's deployment twice over, each behind nginx round-robin on loopback: its own system (three
// FastAPI workers, SKIP LOCKED on the run's PostgreSQL) and this service's HTTP API (three silos on their defaults).
// 32 HTTP clients grab and complete with no work, on a queue of 10,000 pending, through each nginx in turn.
async Task RunHttpAsync()
{
    const int pending = 10_000;
    var id = $"h-{pending}";
    Log($"(h): seed-001 (3 FastAPI workers) and http-3 (3 silos), each behind nginx; {settings.Clients} HTTP clients at {pending:N0} pending");
    var disposables = new Stack<IAsyncDisposable>();
    try
    {
        var workers = await Seed001Workers.StartAsync(3, BenchOptions.Repository, options.Postgres, options.StateDirectory);
        disposables.Push(workers);
        var seedFront = await NginxFront.StartAsync("seed-001", BenchOptions.Repository, options.StateDirectory, workers.Urls);
        disposables.Push(seedFront);
        var cluster = await SiloCluster.StartAsync("http-3", 3, SiloVariant.Defaults, options.SiloDll, options.Postgres, options.StateDirectory, http: true);
        disposables.Push(cluster);
        var front = await NginxFront.StartAsync("http-3", BenchOptions.Repository, options.StateDirectory, cluster.HttpUrls);
        disposables.Push(front);

        IBenchQueue[] peers = [new Seed001Queue(BenchHttp.Client(seedFront.Url), workers.Urls), await HttpQueue.ConnectAsync(front.Url, cluster, settings.QueueTtl)];
        foreach (var peer in peers)
        {
            disposables.Push(peer);
            results.Configure($"{peer.Name} (h)", peer.Configuration);
        }

        foreach (var peer in peers)
        {
            try
            {
                await QueueThroughput.RunAsync(peer, pending, settings, results, id);
                LogScenario(id, peer.Name);
            }
            catch (Exception exception)
            {
                results.Fail($"({id}) {peer.Name}: the run failed: {exception.GetType().Name}: {exception.Message}");
                Console.Error.WriteLine(exception);
            }
        }
    }
    catch (Exception exception)
    {
        results.Fail($"(h): the peers could not be started: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine(exception);
    }
    finally
    {
        while (disposables.TryPop(out var disposable))
        {
            await disposable.DisposeAsync();
        }
    }
}

async Task<IBenchLock> StartPeerAsync(string peerName, List<SiloCluster> clusters)
{
    switch (peerName)
    {
        case "http-1":
        {
            var cluster = await SiloCluster.StartAsync(peerName, 1, SiloVariant.Defaults, options.SiloDll, options.Postgres, options.StateDirectory, http: true);
            clusters.Add(cluster);
            siloProcesses[peerName] = cluster.Silos.Select(silo => silo.ProcessId).ToArray();
            return await HttpLock.ConnectAsync(peerName, cluster);
        }

        case "pg-row":
            return await PgRowLock.CreateAsync(options.Postgres);
        case "pg-advisory":
            return new PgAdvisoryLock(options.Postgres);
        case "redis":
            return await RedisLock.CreateAsync(options.Redis);
        case not null when Report.OrleansPeer(peerName) is { } orleans:
        {
            var (silos, variant) = orleans;
            var started = Stopwatch.GetTimestamp();
            var cluster = await SiloCluster.StartAsync(peerName, silos, variant, options.SiloDll, options.Postgres, options.StateDirectory);
            clusters.Add(cluster);
            siloProcesses[peerName] = cluster.Silos.Select(silo => silo.ProcessId).ToArray();
            Log($"peer {peerName}: {silos} silo process(es) serving after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s ({variant.Summary})");
            return await OrleansLock.ConnectAsync(peerName, cluster);
        }
        default:
            throw new ArgumentOutOfRangeException(nameof(peerName), peerName, "Unknown peer.");
    }
}

// A peer that breaks is reported and dropped; the others go on.
async Task RunGuardedAsync(List<IBenchLock> peers, IBenchLock peer, IScenario scenario, Func<Task> run)
{
    if (!peers.Contains(peer))
    {
        return;
    }

    try
    {
        await run();
    }
    catch (Exception exception)
    {
        results.Fail($"({scenario.Id}) {peer.Name}: the run failed and the peer was dropped: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine(exception);
        peers.Remove(peer);
    }
}

void LogScenario(string scenario, string peer)
{
    var metrics = results.Scenarios.GetValueOrDefault(scenario)?.GetValueOrDefault(peer);
    var text = metrics is null ? "(nothing)" : string.Join(", ", metrics.Select(m => $"{m.Key}={Targets.Format(m.Value)}"));
    Log($"({scenario}) {peer}: {text}");
}

void Log(string message) => Console.Error.WriteLine($"bench [{clock.Elapsed.TotalSeconds,6:F1}s]: {message}");
