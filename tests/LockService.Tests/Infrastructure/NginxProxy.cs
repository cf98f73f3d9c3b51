using System.Diagnostics;
using System.Net.Sockets;
using LockService.Testing;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Debian's nginx in front of silos' HTTP ports, configured by <c>scripts/lib/nginx.sh</c> exactly as
/// <c>scripts/cluster.sh start --nginx</c> does (the proxy settings of deploy/nginx/), in the foreground as a child of
/// the test. Stopped (fast shutdown, then killed) on dispose; its directory is deleted.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;

    private NginxProxy(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>What nginx logged (its error log), for a failure message.</summary>
    public string ErrorLog => File.Exists(Path.Combine(_directory.FullName, "error.log")) ? File.ReadAllText(Path.Combine(_directory.FullName, "error.log")) : "";

    /// <summary>Writes the config for <paramref name="upstreams"/> (host:port), starts nginx, waits until it accepts connections.</summary>
    public static async Task<NginxProxy> StartAsync(IEnumerable<string> upstreams)
    {
        var directory = Directory.CreateTempSubdirectory("locks-nginx-");
        var port = FreePorts.Take(1)[0];
        var script = Path.Combine(RepositoryPaths.Root, "scripts", "lib", "nginx.sh");
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync("bash",
            ["-c", "source \"$0\" && nginx_ensure_installed && nginx_write_config \"$@\" && echo \"$NGINX_BIN\"", script, directory.FullName, $"{port}", .. upstreams],
            timeout: TimeSpan.FromMinutes(5));
        if (exitCode != 0)
        {
            directory.Delete(recursive: true);
            throw new InvalidOperationException($"scripts/lib/nginx.sh could not prepare nginx (exit {exitCode}): {stderr}");
        }

        var config = Path.Combine(directory.FullName, "nginx.conf");
        var start = new ProcessStartInfo(stdout.Trim()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", directory.FullName, "-e", Path.Combine(directory.FullName, "error.log"), "-c", config, "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        var proxy = new NginxProxy(Process.Start(start)!, directory, port);
        try
        {
            await Eventually.ReturnsAsync(() => Task.FromResult(proxy._process.HasExited || Accepts(port)), ready => ready, $"nginx to listen on port {port}");
            if (proxy._process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {proxy._process.ExitCode}: {await proxy._process.StandardError.ReadToEndAsync()}\n{proxy.ErrorLog}");
            }

            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Fast shutdown through the master, which stops its worker too (a killed master would orphan it).
            Signals.TrySend(_process.Id, "TERM");
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        _directory.Delete(recursive: true);
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
