using System.Runtime.InteropServices;
using Npgsql;
using StackExchange.Redis;

namespace LockService.Bench.Hosting;

/// <summary>One line that says what the figures were measured on.</summary>
internal static class Machine
{
    public static async Task<string> DescribeAsync(string postgres, string redis)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        var postgresVersion = await Try(async () =>
        {
            await using var dataSource = NpgsqlDataSource.Create(postgres);
            await using var command = dataSource.CreateCommand("SHOW server_version");
            return $"PostgreSQL {await command.ExecuteScalarAsync()}";
        });
        var redisVersion = await Try(async () =>
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            return $"Redis {connection.GetServer(connection.GetEndPoints()[0]).Version}";
        });
        return $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memoryGiB:F0} GiB, {RuntimeInformation.OSDescription}, " +
               $".NET {Environment.Version}, {postgresVersion}, {redisVersion}, all on one machine over loopback";
    }

    /// <summary>The 1-minute load average: how busy the machine was with everything, the benchmark included.</summary>
    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static async Task<string> Try(Func<Task<string>> describe)
    {
        try
        {
            return await describe();
        }
        catch (Exception exception)
        {
            return $"(unknown: {exception.GetType().Name})";
        }
    }
}
