using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LockService.Bench.Hosting;

/// <summary>
/// A real <c>LockSilo</c> process on PostgreSQL, started the way an operator starts one. Its PID goes into the state
/// directory, so <c>scripts/bench.sh</c> can stop it even if this program dies first.
/// </summary>
internal sealed partial class SiloProcess : IAsyncDisposable
{
    private const string ReadyMessage = "Lock silo started";

    private readonly Process _process;
    private readonly string _pidFile;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter _log;

    private SiloProcess(Process process, string pidFile, StreamWriter log, int gatewayPort)
    {
        _process = process;
        _pidFile = pidFile;
        _log = log;
        GatewayPort = gatewayPort;
    }

    public int GatewayPort { get; }

    public string Gateway => $"127.0.0.1:{GatewayPort}";

    public int ProcessId => _process.Id;

    public static SiloProcess Start(SiloLaunch launch, string name)
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(launch.SiloDll);
        foreach (var (option, value) in new[]
                 {
                     ("--silo-port", $"{siloPort}"), ("--gateway-port", $"{gatewayPort}"),
                     ("--cluster-id", launch.ClusterId), ("--service-id", launch.ServiceId), ("--silo-name", name),
                 })
        {
            start.ArgumentList.Add(option);
            start.ArgumentList.Add(value);
        }

        // By environment, not argument: the connection string stays out of `ps`.
        start.Environment["LOCKSILO_POSTGRES"] = launch.Postgres;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__LockService.Silo"] = "Information";

        var log = new StreamWriter(Path.Combine(launch.StateDirectory, $"{name}.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var pidFile = Path.Combine(launch.StateDirectory, $"{name}.pid");
        var silo = new SiloProcess(process, pidFile, log, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.Record(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Record(e.Data);
        process.Exited += (_, _) => silo._ready.TrySetException(new InvalidOperationException($"Silo {name} exited with code {process.ExitCode} before it served; see {name}.log in the state directory."));
        process.Start();
        File.WriteAllText(pidFile, $"{process.Id}\n");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    public Task WaitUntilReadyAsync(TimeSpan deadline) => _ready.Task.WaitAsync(deadline);

    /// <summary>Resident set size of the process now (VmRSS), in bytes.</summary>
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

    /// <summary>SIGTERM (a graceful leave), then SIGKILL if it has not exited in time.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        File.Delete(_pidFile);
        _process.Dispose();
        await _log.DisposeAsync();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }

        if (line.Contains(ReadyMessage, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>What every silo of one benchmark cluster is started with.</summary>
internal sealed record SiloLaunch(string SiloDll, string Postgres, string ClusterId, string ServiceId, string StateDirectory);
