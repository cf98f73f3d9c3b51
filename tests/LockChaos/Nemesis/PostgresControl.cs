using System.Diagnostics;
using Npgsql;

namespace LockService.Chaos.Nemesis;

/// <summary>
/// The throwaway PostgreSQL server <c>scripts/chaos.sh</c> started, which the nemesis may restart, stop or cut off.
/// Its server programs refuse to run as root, so as root they run as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresControl(string adminConnectionString, string binFolder, string dataFolder)
{
    public string AdminConnectionString { get; } = adminConnectionString;

    public static PostgresControl FromEnvironment() => new(
        Required("CHAOS_PG_ADMIN"),
        Required("CHAOS_PG_BIN"),
        Required("CHAOS_PG_DATA"));

    /// <summary>
    /// Makes the server listen on <paramref name="address"/> too and trust clients from <paramref name="subnet"/>
    /// (the chaos suite's silo namespaces), then restarts it: listen addresses change only with a restart.
    /// </summary>
    public async Task ListenAlsoOnAsync(string address, string subnet)
    {
        var hba = Path.Combine(dataFolder, "pg_hba.conf");
        var rule = $"host all all {subnet} trust";
        if (!(await File.ReadAllLinesAsync(hba)).Contains(rule))
        {
            await File.AppendAllTextAsync(hba, $"\n# chaos suite: silos in network namespaces\n{rule}\n");
        }

        await AlterSystemAsync($"ALTER SYSTEM SET listen_addresses = '127.0.0.1,{address}'");
        await PgCtlAsync("-m", "fast", "-w", "-t", "60", "restart");
    }

    /// <summary>Back to the loopback address alone (the setting the server was started with).</summary>
    public async Task ListenOnLoopbackOnlyAsync()
    {
        await AlterSystemAsync("ALTER SYSTEM RESET listen_addresses");
        await PgCtlAsync("-m", "fast", "-w", "-t", "60", "restart");
    }

    public Task RestartImmediateAsync() => PgCtlAsync("-m", "immediate", "-w", "restart");

    public Task StopImmediateAsync() => PgCtlAsync("-m", "immediate", "-w", "stop");

    public Task StartAsync() => PgCtlAsync("-w", "-t", "60", "start");

    public async Task TerminateBackendsAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'", admin);
        await command.ExecuteScalarAsync();
    }

    private async Task AlterSystemAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }

    private async Task PgCtlAsync(params string[] arguments)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : Path.Combine(binFolder, "pg_ctl"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (asRoot ? new[] { "-u", "postgres", "--", Path.Combine(binFolder, "pg_ctl") } : []).Concat(["-D", dataFolder, "-l", Path.Combine(dataFolder, "..", "postgres.log")]).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {output}");
        }

        NpgsqlConnection.ClearAllPools();
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the chaos suite through scripts/chaos.sh.");
}
