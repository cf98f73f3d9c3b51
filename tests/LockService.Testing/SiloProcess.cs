using System.Collections.Concurrent;
using System.Diagnostics;

namespace LockService.Testing;

/// <summary>
/// A real <c>LockSilo</c> process, as an operator runs it. Tests that are about crashes and restarts use these,
/// because an in-process silo cannot be killed the way a machine dies. Every process is killed on dispose.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    public const string ReadyMessage = "Lock silo started";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(Process process, int siloPort, int gatewayPort, string address)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        Address = address;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The address the silo advertises to the cluster and its clients.</summary>
    public string Address { get; }

    public string Gateway => $"{Address}:{GatewayPort}";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts <c>dotnet LockSilo.dll</c> with the given options (no <c>--postgres</c>: a development silo). The silo
    /// program is the one next to this assembly unless <paramref name="siloDll"/> names another build.
    /// </summary>
    public static SiloProcess Start(
        string? postgres,
        string clusterId,
        string serviceId,
        int? siloPort = null,
        int? gatewayPort = null,
        IEnumerable<string>? extraArguments = null,
        IReadOnlyDictionary<string, string>? environment = null,
        SiloPlacement? placement = null,
        string? siloDll = null)
    {
        var ports = FreePorts.Take(2);
        var silo = siloPort ?? ports[0];
        var gateway = gatewayPort ?? ports[1];
        placement ??= SiloPlacement.Loopback;
        var command = placement.Launcher.Concat(["dotnet", siloDll ?? Path.Combine(AppContext.BaseDirectory, "LockSilo.dll")]).ToArray();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }


        if (postgres is not null)
        {
            start.ArgumentList.Add("--postgres");
            start.ArgumentList.Add(postgres);
        }

        foreach (var (option, value) in new[] { ("--silo-port", $"{silo}"), ("--gateway-port", $"{gateway}"), ("--cluster-id", clusterId), ("--service-id", serviceId), ("--advertised-address", placement.Address) })
        {
            start.ArgumentList.Add(option);
            start.ArgumentList.Add(value);
        }

        foreach (var argument in extraArguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.Environment["LOCKSILO_Logging__Console__FormatterName"] = "simple";
        start.Environment["LOCKSILO_Logging__Console__FormatterOptions__SingleLine"] = "true";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var handle = new SiloProcess(process, silo, gateway, placement.Address);
        process.OutputDataReceived += (_, e) => handle.Record(e.Data);
        process.ErrorDataReceived += (_, e) => handle.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return handle;
    }

    /// <summary>Waits until the silo has joined its cluster and its gateway accepts clients.</summary>
    public Task WaitUntilReadyAsync() => WaitForOutputAsync(ReadyMessage);

    public async Task WaitForOutputAsync(string text, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(120));
        while (!_output.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo process exited with {_process.ExitCode} before printing '{text}'. Output:\n{Output}");
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Silo process did not print '{text}' in time. Output:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Resident set size of the process now (VmRSS from /proc), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
            }
        }

        throw new InvalidOperationException($"No VmRSS in /proc/{_process.Id}/status.");
    }

    /// <summary>SIGKILL: the process vanishes without a goodbye, like a machine losing power.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>SIGTERM: what an orchestrator sends to stop a silo gracefully.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, "TERM");
        }
    }

    /// <summary>SIGSTOP: the process freezes (a long GC pause, a VM stall) but keeps its sockets.</summary>
    public void Pause() => Signals.Send(_process.Id, "STOP");

    /// <summary>SIGCONT: the frozen process carries on, unaware of the time that passed.</summary>
    public void Resume() => Signals.Send(_process.Id, "CONT");

    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A paused process must be resumed to die promptly from SIGKILL's point of view of its parent.
            Signals.TrySend(_process.Id, "CONT");
        }

        Kill();
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
