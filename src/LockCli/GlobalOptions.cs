using LockService.Client;
using System.CommandLine;

namespace LockService.Cli;

/// <summary>Options every lockctl command accepts: how to reach the cluster and where to log.</summary>
internal sealed class GlobalOptions
{
    public static readonly Option<string[]> Gateway = new("--gateway")
    {
        Description = "Gateway host:port of a lock silo (repeatable). Also LOCKCTL_GATEWAYS=host:port,host:port.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> Postgres = new("--postgres")
    {
        Description = "Find silos in the cluster's ADO.NET membership table instead (Npgsql connection string). Also LOCKCTL_POSTGRES.",
        Recursive = true,
    };

    public static readonly Option<string?> ClusterId = new("--cluster-id") { Description = "Cluster id (default lock-cluster). Also LOCKCTL_CLUSTER_ID.", Recursive = true };

    public static readonly Option<string?> ServiceId = new("--service-id") { Description = "Service id (default lock-service). Also LOCKCTL_SERVICE_ID.", Recursive = true };

    public static readonly Option<string?> Config = new("--config") { Description = "Config file (JSON) read after /etc/lockctl.json and ~/.config/lockctl.json.", Recursive = true };

    public static readonly Option<bool> VerboseOption = new("--verbose", "-v") { Description = "Log what lockctl does to stderr.", Recursive = true };

    public static readonly Option<string?> LogFileOption = new("--log-file") { Description = "Append lockctl's log to this file.", Recursive = true };

    public static readonly Option<TimeSpan> ConnectTimeout = new("--connect-timeout")
    {
        Description = "How long to try reaching the cluster before exiting with 69 (default 30s).",
        Recursive = true,
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = DurationOption.Parse("--connect-timeout"),
    };

    public bool Verbose { get; init; }

    public string? LogFile { get; init; }

    public static void AddTo(RootCommand root)
    {
        foreach (var option in new Option[] { Gateway, Postgres, ClusterId, ServiceId, Config, VerboseOption, LogFileOption, ConnectTimeout })
        {
            root.Add(option);
        }
    }

    public static async Task<LockClientConnection> ConnectAsync(ParseResult parse)
    {
        var settings = ConnectionSettings.Load(
            parse.GetValue(Config),
            parse.GetValue(Gateway) ?? [],
            parse.GetValue(Postgres),
            parse.GetValue(ClusterId),
            parse.GetValue(ServiceId));
        var global = new GlobalOptions { Verbose = parse.GetValue(VerboseOption), LogFile = parse.GetValue(LogFileOption) };
        return await ClusterConnection.ConnectAsync(settings, global, parse.GetValue(ConnectTimeout));
    }
}
