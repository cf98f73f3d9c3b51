using LockService.Testing;
using System.Diagnostics;
using System.Text;

namespace LockService.Tests.Infrastructure;

/// <summary>The built <c>lockctl</c>, run as a process the way a crontab runs it.</summary>
public sealed class Lockctl : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    private Lockctl(Process process) => _process = process;

    /// <summary>
    /// lockctl as its own build wrote it (<c>src/LockCli/bin/&lt;configuration&gt;/net10.0</c>), not the copy in this test
    /// folder: lockctl runs on the bare .NET runtime, while this folder leaves out the Microsoft.Extensions assemblies
    /// that the ASP.NET Core shared framework provides (the silo's HTTP API brings that framework into the tests).
    /// </summary>
    public static string Program { get; } = Path.Combine(
        RepositoryPaths.Root, "src", "LockCli", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "lockctl.dll");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static Lockctl Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) => StartCore(environment, null, arguments);

    /// <summary>Runs lockctl with <paramref name="standardInput"/> on its stdin (then closed), as <c>printf … | lockctl …</c> does.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)> RunWithInputAsync(
        IReadOnlyDictionary<string, string> environment, string standardInput, params string[] arguments)
    {
        await using var lockctl = StartCore(environment, standardInput, arguments);
        var exitCode = await lockctl.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (exitCode, lockctl.Stdout, lockctl.Stderr, lockctl._elapsed.Elapsed);
    }

    private static Lockctl StartCore(IReadOnlyDictionary<string, string> environment, string? standardInput, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test gives: no LOCKCTL_* from the developer's shell.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("LOCKCTL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var lockctl = new Lockctl(process);
        process.OutputDataReceived += (_, e) => Append(lockctl._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(lockctl._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }

        process.StandardInput.Close();
        return lockctl;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        await using var lockctl = Start(environment, arguments);
        var exitCode = await lockctl.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (exitCode, lockctl.Stdout, lockctl.Stderr, lockctl._elapsed.Elapsed);
    }

    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public Task WaitForStdoutAsync(string text) =>
        Eventually.ReturnsAsync(() => Task.FromResult(Stdout), s => s.Contains(text, StringComparison.Ordinal) || _process.HasExited, $"lockctl to print '{text}'");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }
}
