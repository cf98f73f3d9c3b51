using System.Diagnostics;
using System.Globalization;
using LockService.Chaos.History;
using LockService.Chaos.Workload;
using LockService.Client;
using LockService.Testing;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// The system under test for one chaos test: silo processes on the test's database, workload client processes, and
/// the nemesis's own client (to find where a lock lives and to make its own recorded calls).
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private readonly SiloProcessGroup _silos;
    private readonly List<(string Id, Process Process)> _clients = [];
    private readonly ChaosSettings _settings;
    private readonly string _historyFolder;
    private readonly List<QueueWorkerProcess> _queueWorkers = [];
    private LockClientConnection? _nemesisClient;
    private int _nextClient;
    private QueueWorkload? _queueWorkload;
    private QueueWorkerProcess[] _liveQueueWorkers = [];
    private int[] _queueWorkerIncarnations = [];
    private int _queueWorkersKilled;

    public ChaosCluster(ChaosSettings settings, string connectionString, string historyFolder, string name)
    {
        _settings = settings;
        ConnectionString = connectionString;
        _historyFolder = historyFolder;
        ClusterId = ChaosRunner.Truncate($"chaos-{name}-{Guid.NewGuid():N}", 40);
        ServiceId = ClusterId;
        _silos = new SiloProcessGroup(connectionString, ClusterId, ServiceId)
        {
            OutputFolder = historyFolder,
            Environment = SiloEnvironment(settings),
        };
        Nemesis = new HistoryFile(Path.Combine(historyFolder, "nemesis.jsonl"));
    }

    public string ConnectionString { get; }

    /// <summary>
    /// What the test's silos start with besides their arguments: the release write delay, always (zero too, since the
    /// product's default is lazy), so each test runs the release mode it is named for; and the lock and semaphore
    /// grains' Debug lines (each grant, handoff, release, write and load with the stored version, each step of the
    /// lease clock) with a UTC timestamp on every line, so a violation the checker finds can be traced in
    /// <c>silo-N.log</c> to the writes and clock readings behind it.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> SiloEnvironment(ChaosSettings settings) =>
        new Dictionary<string, string>
        {
            ["LOCKSILO_LockGrains__ReleaseWriteDelay"] = settings.ReleaseWriteDelay.ToString("c", CultureInfo.InvariantCulture),
            ["LOCKSILO_Logging__LogLevel__LockService.Grains"] = "Debug",
            ["LOCKSILO_Logging__LogLevel__LockService.Semaphores"] = "Debug",
            ["LOCKSILO_Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["LOCKSILO_Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };

    public string ClusterId { get; }

    public string ServiceId { get; }

    public HistoryFile Nemesis { get; }

    /// <summary>The silos' own networks, when the test partitions them.</summary>
    public SiloNetwork? Network { get; init; }

    /// <summary>What a test's own nemesis measured or found wrong; copied into its report.</summary>
    public List<string> Notes { get; } = [];

    public List<string> Failures { get; } = [];

    public IReadOnlyList<SiloSlot> Silos => _silos.Slots;

    public IGrainFactory Grains => _nemesisClient!.Grains;

    public IEnumerable<string> Gateways => _silos.Gateways;

    public async Task StartSilosAsync(int count, Func<int, IEnumerable<string>>? extraArguments = null, Func<int, SiloPlacement>? placement = null)
    {
        await _silos.StartAsync(count, extraArguments, placement);

        _nemesisClient = await LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in Gateways)
            {
                options.Gateways.Add(gateway);
            }

            (options.ClusterId, options.ServiceId, options.ResponseTimeout) = (ClusterId, ServiceId, TimeSpan.FromSeconds(5));
        });
    }

    /// <summary>Starts one more silo, in a new slot (with the first slot's arguments), and waits until it is Active.</summary>
    public async Task<SiloSlot> AddSiloAsync()
    {
        await _silos.StartAsync(1, _ => _silos.Slots[0].ExtraArguments);
        return _silos.Slots[^1];
    }

    /// <summary>Starts the slot's silo again (after a kill or a graceful stop), on the same ports, optionally with other arguments.</summary>
    public Task RestartSiloAsync(SiloSlot slot, IEnumerable<string>? extraArguments = null) => _silos.RestartAsync(slot, extraArguments);

    public void StartClients(int count)
    {
        for (var i = 0; i < count; i++)
        {
            StartClient();
        }
    }

    public (string Id, Process Process) StartClient()
    {
        var id = $"c{_nextClient++}";
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "LockChaos.dll"), "client", "--id", id, "--workers", $"{_settings.WorkersPerClient}",
                     "--gateways", string.Join(',', Gateways), "--cluster-id", ClusterId, "--service-id", ServiceId,
                     "--locks", $"{_settings.Locks}", "--ttl-ms", $"{_settings.Ttl.TotalMilliseconds}",
                     "--duration-s", $"{_settings.RemainingSeconds()}", "--history", Path.Combine(_historyFolder, $"{id}.jsonl"),
                     "--postgres", ConnectionString, "--hold-ms", $"{_settings.HoldMs.Min}-{_settings.HoldMs.Max}",
                     "--api", UsesHandles(id) ? HandleWorker.Api : "raw",
                     "--semaphore-workers", $"{_settings.SemaphoreWorkersPerClient}", "--semaphores", $"{_settings.Semaphores}",
                     "--semaphore-max", $"{_settings.SemaphoreMaxCount}",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{id}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _clients.Add((id, process));
        return (id, process);
    }

    /// <summary>
    /// Every other client process (c1, c3, ...) goes through the client library's lock handles, the rest call the
    /// grain directly; a client started in place of a killed one keeps the alternation going, so both kinds stay.
    /// </summary>
    public static bool UsesHandles(string clientId) => int.Parse(clientId[1..], CultureInfo.InvariantCulture) % 2 == 1;

    /// <summary>
    /// Waits until raw and handle clients alike have been granted a lock, and the semaphore workers a slot, so the first
    /// fault hits a working system: on a loaded machine the client processes can take many seconds to start and
    /// connect, and C6 would count that as the fault's recovery. Gives up after <paramref name="deadline"/> (the
    /// checker then judges what happened).
    /// </summary>
    public async Task WaitForWorkloadAsync(TimeSpan deadline)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < deadline)
        {
            // Paired, because only an acquire's invoke says whether it was a semaphore's (its limit).
            var grants = Operation.FromEvents(HistoryFile.ReadAll(_historyFolder)).Where(o => o.Op == HistoryEvent.Ops.Acquire && o.Ok).ToList();
            if (grants.Any(o => o.Api == HistoryEvent.Apis.Handle)
                && grants.Any(o => o.Api is null && o.Max is null && o.Client != "retrier")
                && (_settings.SemaphoreWorkersPerClient == 0 || grants.Any(o => o.Max is not null)))
            {
                Faults.Log($"workload running after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
                return;
            }

            await Task.Delay(250);
        }

        Faults.Log($"the workload made no grants of every kind within {deadline.TotalSeconds:0} s; the faults start anyway");
    }

    /// <summary>Starts the queue workload's worker processes (names <c>w{index}-{incarnation}</c>), logging into the history folder.</summary>
    public void StartQueueWorkers(QueueWorkload workload)
    {
        _queueWorkload = workload;
        _liveQueueWorkers = new QueueWorkerProcess[workload.Workers];
        _queueWorkerIncarnations = new int[workload.Workers];
        for (var i = 0; i < workload.Workers; i++)
        {
            _liveQueueWorkers[i] = StartQueueWorker(i);
        }
    }

    /// <summary>The queue workload's worker slots (one live worker process each).</summary>
    public int QueueWorkerCount => _liveQueueWorkers.Length;

    /// <summary>Kills worker <paramref name="index"/> with SIGKILL and starts a new incarnation in its place; returns the killed one's name.</summary>
    public async Task<string> KillQueueWorkerAsync(int index)
    {
        var victim = _liveQueueWorkers[index];
        await victim.KillAsync();
        _queueWorkersKilled++;
        _queueWorkerIncarnations[index]++;
        _liveQueueWorkers[index] = StartQueueWorker(index);
        return victim.Worker;
    }

    /// <summary>Every queue worker incarnation with its log's file name in the history folder and when it was killed.</summary>
    public IReadOnlyList<QueueCheckInput.WorkerLog> QueueWorkerLogFiles() =>
        _queueWorkers.Select(worker => new QueueCheckInput.WorkerLog(worker.Worker, Path.GetFileName(worker.LogPath), worker.KilledAtMs)).ToList();

    /// <summary>Queue workers the nemesis killed.</summary>
    public int QueueWorkersKilled => _queueWorkersKilled;

    /// <summary>
    /// Stops every queue worker with SIGKILL, noting when: once the queue is drained they only wait for a task, but one
    /// may not have logged its last completion yet, and the checker counts such a completion only for a killed worker.
    /// </summary>
    public async Task StopQueueWorkersAsync()
    {
        foreach (var worker in _liveQueueWorkers)
        {
            await worker.KillAsync();
        }
    }

    private QueueWorkerProcess StartQueueWorker(int index)
    {
        var workload = _queueWorkload!;
        var worker = QueueWorkerProcess.Start(
            Gateways, ClusterId, ServiceId, workload.Queue, $"w{index}-{_queueWorkerIncarnations[index]}", _historyFolder, workload.Ttl, workload.WorkMs, workload.FailurePercent);
        _queueWorkers.Add(worker);
        return worker;
    }

    public IReadOnlyList<(string Id, Process Process)> LiveClients => _clients.Where(c => !c.Process.HasExited).ToList();

    /// <summary>The silo that hosts the lock's activation now, if the directory knows one.</summary>
    public async Task<SiloSlot?> HostOfAsync(string lockName)
    {
        var grain = Grains.GetGrain<ILockGrain>(lockName);
        await grain.Describe();
        return await HostOfActivationAsync(grain);
    }

    /// <summary>The silo that hosts the semaphore's activation now, if the directory knows one.</summary>
    public async Task<SiloSlot?> HostOfSemaphoreAsync(string semaphoreName)
    {
        var grain = Grains.GetGrain<ISemaphoreGrain>(semaphoreName);
        await grain.Describe();
        return await HostOfActivationAsync(grain);
    }

    /// <summary>The silo that hosts the queue workload's directory now, if it can be found (null while it fails over).</summary>
    public async Task<SiloSlot?> HostOfQueueAsync()
    {
        try
        {
            var grain = Grains.GetGrain<IWorkQueueGrain>(_queueWorkload!.Queue);
            await grain.Stats();
            return await HostOfActivationAsync(grain);
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansException or LockStorageException)
        {
            return null;
        }
    }

    private async Task<SiloSlot?> HostOfActivationAsync(IAddressable grain)
    {
        var address = await Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return address is null ? null : _silos.SlotOf(address.Endpoint.Port);
    }

    /// <param name="targetClient">The client process the fault hit (a paused client's handles are not judged by C7).</param>
    public void RecordFault(string fault, long start, long end, string? targetClient = null)
    {
        var id = Interlocked.Increment(ref _faultIds);
        Nemesis.Write(new HistoryEvent { Client = "nemesis", Id = id, Op = HistoryEvent.Ops.Fault, Phase = HistoryEvent.Phases.Invoke, T = start, Detail = fault, Target = targetClient });
        Nemesis.Write(new HistoryEvent { Client = "nemesis", Id = id, Op = HistoryEvent.Ops.Fault, Phase = HistoryEvent.Phases.Ok, T = end, Detail = fault });
    }

    private long _faultIds;

    /// <summary>How many faults the nemesis recorded.</summary>
    public int FaultCount => (int)Interlocked.Read(ref _faultIds);

    public async Task WaitForClientsAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        foreach (var (_, process) in _clients)
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _clients)
        {
            if (!process.HasExited)
            {
                Signals.TrySend(process.Id, "CONT");
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }

        foreach (var worker in _queueWorkers)
        {
            await worker.DisposeAsync();
        }

        if (_nemesisClient is not null)
        {
            await _nemesisClient.DisposeAsync();
        }

        await _silos.DisposeAsync();
        Nemesis.Dispose();
    }
}
