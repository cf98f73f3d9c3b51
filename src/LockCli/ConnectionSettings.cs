using System.Text.Json;
using System.Text.Json.Serialization;

namespace LockService.Cli;

/// <summary>
/// Where the cluster is, merged from, in rising priority: <c>/etc/lockctl.json</c>, <c>~/.config/lockctl.json</c>,
/// <c>LOCKCTL_*</c> environment variables, the file given by <c>--config</c>, and command-line flags. A later source
/// overrides only the settings it sets.
/// </summary>
internal sealed class ConnectionSettings
{
    public const string SystemConfigFile = "/etc/lockctl.json";

    public List<string> Gateways { get; set; } = [];

    public string? Postgres { get; set; }

    public string? ClusterId { get; set; }

    public string? ServiceId { get; set; }

    public static string UserConfigFile =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "lockctl.json");

    public static ConnectionSettings Load(string? configFile, IReadOnlyList<string> gatewayFlags, string? postgresFlag, string? clusterIdFlag, string? serviceIdFlag)
    {
        var settings = new ConnectionSettings();
        settings.MergeFile(SystemConfigFile, required: false);
        settings.MergeFile(UserConfigFile, required: false);
        settings.Merge(FromEnvironment());
        if (configFile is not null)
        {
            settings.MergeFile(configFile, required: true);
        }

        settings.Merge(new ConnectionSettings { Gateways = [.. gatewayFlags], Postgres = postgresFlag, ClusterId = clusterIdFlag, ServiceId = serviceIdFlag });
        return settings;
    }

    private static ConnectionSettings FromEnvironment() => new()
    {
        Gateways = Environment.GetEnvironmentVariable("LOCKCTL_GATEWAYS") is { Length: > 0 } gateways
            ? [.. gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : [],
        Postgres = Environment.GetEnvironmentVariable("LOCKCTL_POSTGRES") is { Length: > 0 } postgres ? postgres : null,
        ClusterId = Environment.GetEnvironmentVariable("LOCKCTL_CLUSTER_ID") is { Length: > 0 } clusterId ? clusterId : null,
        ServiceId = Environment.GetEnvironmentVariable("LOCKCTL_SERVICE_ID") is { Length: > 0 } serviceId ? serviceId : null,
    };

    private void MergeFile(string path, bool required)
    {
        if (!File.Exists(path))
        {
            if (required)
            {
                throw new UsageException($"--config: file '{path}' does not exist.");
            }

            return;
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllText(path), ConfigFileJsonContext.Default.ConfigFile)
                ?? throw new JsonException("the file is empty");
            Merge(new ConnectionSettings
            {
                Gateways = file.Gateways ?? [],
                Postgres = file.Postgres,
                ClusterId = file.ClusterId,
                ServiceId = file.ServiceId,
            });
        }
        catch (JsonException exception)
        {
            throw new UsageException($"config file '{path}' is not valid: {exception.Message}");
        }
    }

    private void Merge(ConnectionSettings later)
    {
        if (later.Gateways.Count > 0)
        {
            Gateways = later.Gateways;
        }

        Postgres = later.Postgres ?? Postgres;
        ClusterId = later.ClusterId ?? ClusterId;
        ServiceId = later.ServiceId ?? ServiceId;
    }
}

/// <summary>The config file's shape: <c>{"gateways": ["host:port"], "postgres": "…", "clusterId": "…", "serviceId": "…"}</c>.</summary>
internal sealed class ConfigFile
{
    public List<string>? Gateways { get; set; }

    public string? Postgres { get; set; }

    public string? ClusterId { get; set; }

    public string? ServiceId { get; set; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ConfigFile))]
internal sealed partial class ConfigFileJsonContext : JsonSerializerContext;

/// <summary>A mistake on the command line or in configuration: reported with the flag it concerns, exit code 64.</summary>
internal sealed class UsageException(string message) : Exception(message);
