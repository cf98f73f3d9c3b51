using System.Diagnostics;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Cli;

/// <summary>lockctl as users install it: packed as a .NET tool and installed from the local package.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LockctlToolPackageTests(ProcessClusterFixture cluster)
{
    [Fact]
    public async Task A_locally_packed_nupkg_installs_a_working_lockctl()
    {
        var work = Directory.CreateTempSubdirectory("lockctl-tool-");
        try
        {
            var packages = Path.Combine(work.FullName, "packages");
            var tools = Path.Combine(work.FullName, "tools");
            await RunAsync("dotnet", "pack", Path.Combine(RepositoryPaths.Root, "src", "LockCli"), "-c", "Release", "-o", packages);
            await RunAsync("dotnet", "tool", "install", "LockService.Cli", "--tool-path", tools, "--add-source", packages);

            var name = LockNames.Unique("tool");
            var output = await RunAsync(
                Path.Combine(tools, "lockctl"),
                ["--gateway", cluster.Silos[0].Gateway, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ServiceId, "run", name, "--", "sh", "-c", "echo token=$LOCK_FENCING_TOKEN"]);
            Assert.Contains("token=1", output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static Task<string> RunAsync(string fileName, params string[] arguments) => RunAsync(fileName, (IEnumerable<string>)arguments);

    private static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }
}
