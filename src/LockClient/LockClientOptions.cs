using System.Net;
using Microsoft.Extensions.Options;

namespace LockService.Client;

/// <summary>How the client finds the lock cluster.</summary>
public sealed class LockClientOptions
{
    /// <summary>
    /// Static gateway endpoints as <c>host:port</c>. Used when <see cref="Postgres"/> is empty. When both are empty the
    /// client connects to a development silo on <c>127.0.0.1:30000</c>.
    /// </summary>
    public IList<string> Gateways { get; } = new List<string>();

    /// <summary>Npgsql connection string of the cluster's membership table (ADO.NET clustering). Never logged.</summary>
    public string? Postgres { get; set; }

    /// <summary>Cluster id of the silos to join.</summary>
    public string ClusterId { get; set; } = "lock-cluster";

    /// <summary>Service id of the silos to join.</summary>
    public string ServiceId { get; set; } = "lock-service";

    /// <summary>
    /// How long a single lock call may take before the client gives up on it. Its outcome is then unknown; the
    /// handle API retries with the same owner so a grant that did land is found again.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the handle API keeps retrying a call whose outcome is unknown (a time-out or a silo failing over),
    /// always with the same owner so a grant that did land is found again rather than leaked.
    /// </summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Owner identity prefix for locks created without an explicit owner. Default: host name, process id and a random
    /// part, so two processes on one host never share an owner by accident.
    /// </summary>
    public string? OwnerPrefix { get; set; }

    /// <summary>Parses <see cref="Gateways"/> into endpoints; throws naming the bad entry.</summary>
    internal IPEndPoint[] ParseGateways()
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var gateway in Gateways)
        {
            endpoints.Add(ParseGateway(gateway));
        }

        return endpoints.Count > 0 ? endpoints.ToArray() : [new IPEndPoint(IPAddress.Loopback, 30000)];
    }

    internal static IPEndPoint ParseGateway(string gateway)
    {
        var separator = gateway.LastIndexOf(':');
        if (separator <= 0 || !int.TryParse(gateway.AsSpan(separator + 1), out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Invalid gateway '{gateway}': expected host:port with a port from 1 to 65535.", nameof(Gateways));
        }

        var host = gateway[..separator].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var resolved = Dns.GetHostAddresses(host);
        var chosen = resolved.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? resolved.FirstOrDefault()
            ?? throw new ArgumentException($"Invalid gateway '{gateway}': host '{host}' does not resolve.", nameof(Gateways));
        return new IPEndPoint(chosen, port);
    }
}

/// <summary>Rejects a client configuration that could never connect.</summary>
public sealed class LockClientOptionsValidator : IValidateOptions<LockClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LockClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("ServiceId must not be empty.");
        }

        if (options.RetryBudget < TimeSpan.Zero)
        {
            failures.Add($"RetryBudget must not be negative (was {options.RetryBudget}).");
        }

        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            failures.Add($"ResponseTimeout must be positive (was {options.ResponseTimeout}).");
        }

        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            try
            {
                options.ParseGateways();
            }
            catch (ArgumentException exception)
            {
                failures.Add(exception.Message);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
