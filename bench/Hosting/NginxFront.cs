using System.Diagnostics;
using System.Net.Sockets;
using LockService.Testing;

namespace LockService.Bench.Hosting;

/// <summary>
/// Debian's nginx, round-robin over some HTTP servers on loopback, configured and started by
/// <c>scripts/lib/nginx.sh</c> exactly as <c>scripts/cluster.sh start --nginx</c> runs it (the proxy settings of
/// deploy/nginx/, which compose uses): the front of seed 001's deployment, for both peers of scenario (h). Its pid goes
/// into the state directory so <c>scripts/bench.sh</c> stops it even if this program dies.
/// </summary>
internal sealed class NginxFront : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _script;
    private readonly string _pidFile;

    private NginxFront(string directory, string script, string pidFile, int port)
    {
        _directory = directory;
        _script = script;
        _pidFile = pidFile;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static async Task<NginxFront> StartAsync(string name, string repository, string stateDirectory, IEnumerable<Uri> upstreams)
    {
        var directory = Path.Combine(stateDirectory, $"nginx-{name}");
        var script = Path.Combine(repository, "scripts", "lib", "nginx.sh");
        var port = FreePorts.Take(1)[0];
        await RunAsync(script, "nginx_ensure_installed && nginx_write_config \"$@\" && nginx_start \"$1\"", [directory, $"{port}", .. upstreams.Select(u => $"127.0.0.1:{u.Port}")]);
        var pidFile = Path.Combine(stateDirectory, $"nginx-{name}.pid");
        File.Copy(Path.Combine(directory, "nginx.pid"), pidFile, overwrite: true);
        var front = new NginxFront(directory, script, pidFile, port);
        var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        while (!Accepts(port))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                await front.DisposeAsync();
                throw new InvalidOperationException($"nginx ({directory}) does not accept connections on port {port} after 30 s.");
            }

            await Task.Delay(50);
        }

        return front;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(_script, "nginx_stop \"$1\"", [_directory]);
        File.Delete(_pidFile);
    }

    private static async Task RunAsync(string script, string commands, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-c", $"source \"$0\" && {commands}", script }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/lib/nginx.sh failed (exit {process.ExitCode}): {await stderr}");
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
