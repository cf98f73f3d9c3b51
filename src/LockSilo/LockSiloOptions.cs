using System.Net;
using LockService.Http;
using LockService.Silo.Chaos;
using Microsoft.Extensions.Options;

namespace LockService.Silo;

/// <summary>
/// How a lock silo joins its cluster. Read from configuration keys of the same names, environment variables with the
/// <c>LOCKSILO_</c> prefix (<c>LOCKSILO_POSTGRES</c>, <c>LOCKSILO_SILOPORT</c>, ...) and command-line options
/// (<c>--postgres</c>, <c>--silo-port</c>, <c>--gateway-port</c>, <c>--cluster-id</c>, <c>--service-id</c>, <c>--advertised-address</c>);
/// never from unprefixed environment variables (<see cref="SiloConfigurationSources"/>).
/// </summary>
public sealed class LockSiloOptions
{
    /// <summary>
    /// Npgsql connection string. When set, clustering, lock state and reminders live in PostgreSQL. When empty the
    /// silo runs as a single-silo development cluster with nothing durable. Never logged.
    /// </summary>
    public string? Postgres { get; set; }

    /// <summary>Port for silo-to-silo traffic.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Name of this deployment; silos with the same cluster id form one cluster.</summary>
    public string ClusterId { get; set; } = "lock-cluster";

    /// <summary>Name of the service whose state is stored. Keep it stable across deployments, or tokens start over.</summary>
    public string ServiceId { get; set; } = "lock-service";

    /// <summary>Address other silos and clients use to reach this silo (an IP address or a host name).</summary>
    public string AdvertisedAddress { get; set; } = IPAddress.Loopback.ToString();

    /// <summary>A name for logs and the membership table; defaults to the host name and silo port.</summary>
    public string? SiloName { get; set; }

    /// <summary>
    /// Allows the fault-injection hooks below (<c>--enable-fault-injection</c>). Off by default: a silo with a hook set
    /// and this off refuses to start; with it on, the silo announces it on its console and in its log.
    /// </summary>
    public bool EnableFaultInjection { get; set; }

    /// <summary>Fault injection only: shifts this silo's lock clock (the one that decides lease expiry). Default zero.</summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>Fault injection only: the silo kills itself right after writing this lock's state, before replying.</summary>
    public string? ChaosCrashAfterWriteOf { get; set; }

    /// <summary>
    /// How often the silo checks whether a wave of idle lock grains was just collected, to give their memory back to
    /// the operating system (IdleMemoryReturn). Default 1 minute.
    /// </summary>
    public TimeSpan MemoryReturnCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How lock state is written to PostgreSQL (section <c>Storage</c>): shared commits on by default.</summary>
    public LockStorageOptions Storage { get; set; } = new();

    /// <summary>
    /// The HTTP API (section <c>Http</c>; <c>--http-port</c>, <c>--http-address</c>, <c>--insecure-http</c>). Off unless
    /// a port is given: then the silo is hosted in a WebApplication that also serves the API.
    /// </summary>
    public HttpApiOptions Http { get; set; } = new();

    /// <summary>Whether a PostgreSQL connection string is set, so grants survive a restart.</summary>
    public bool IsDurable => !string.IsNullOrWhiteSpace(Postgres);
}

/// <summary>Fails the silo start with a clear message instead of a half-working silo.</summary>
public sealed class LockSiloOptionsValidator : IValidateOptions<LockSiloOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LockSiloOptions options)
    {
        var failures = new List<string>();
        if (options.SiloPort is < 1 or > 65535)
        {
            failures.Add($"SiloPort must be between 1 and 65535 (was {options.SiloPort}).");
        }

        if (options.GatewayPort is < 1 or > 65535)
        {
            failures.Add($"GatewayPort must be between 1 and 65535 (was {options.GatewayPort}).");
        }

        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add("SiloPort and GatewayPort must differ.");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("ServiceId must not be empty.");
        }

        if (options.MemoryReturnCheckInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"MemoryReturnCheckInterval must be at least 1 second (was {options.MemoryReturnCheckInterval}).");
        }

        if (string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            failures.Add("AdvertisedAddress must not be empty.");
        }

        if (options.Storage.BatchWrites)
        {
            failures.AddRange(options.Storage.Batching().Problems().Select(problem => $"Storage:{problem}"));
        }

        var http = new HttpApiOptionsValidator().Validate(name, options.Http);
        if (http.Failed)
        {
            failures.AddRange((http.Failures ?? []).Select(problem => $"Http:{problem}"));
        }

        if (options.Http.Enabled && (options.Http.Port == options.SiloPort || options.Http.Port == options.GatewayPort))
        {
            failures.Add($"Http:Port must differ from SiloPort and GatewayPort (was {options.Http.Port}).");
        }

        if (!options.EnableFaultInjection)
        {
            failures.AddRange(FaultInjectionHooks.SetIn(options).Select(FaultInjectionHooks.Refusal));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
