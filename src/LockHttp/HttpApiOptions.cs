using System.Net;

namespace LockService.Http;

/// <summary>
/// The HTTP API a silo serves (configuration section <c>Http</c>: <c>--http-port</c>, <c>--http-address</c>,
/// <c>--insecure-http</c>, <c>LOCKSILO_Http__Port</c>, <c>Http:ApiKeys:0:Sha256</c>, ...). Port 0 serves no HTTP at all.
/// </summary>
public sealed class HttpApiOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Http";

    /// <summary>Largest request body accepted, in bytes (64 KiB); a larger one is refused with 413.</summary>
    public const long MaxRequestBodySize = 64 * 1024;

    /// <summary>TCP port of the HTTP API; 0 (the default) serves no HTTP and the silo runs exactly as without it.</summary>
    public int Port { get; set; }

    /// <summary>The address to listen on; loopback unless configured, so an unprotected API is never exposed by accident.</summary>
    public string Address { get; set; } = IPAddress.Loopback.ToString();

    /// <summary>
    /// Allows serving without API keys on an address other than loopback (<c>--insecure-http</c>): for a trusted
    /// network or a proxy that authenticates. Off by default.
    /// </summary>
    public bool InsecureHttp { get; set; }

    /// <summary>The API keys, as SHA-256 hashes with their scopes. None: open on loopback only (development).</summary>
    public List<HttpApiKey> ApiKeys { get; set; } = [];

    /// <summary>PEM certificate for HTTPS served by Kestrel; unset serves plain HTTP (TLS terminated at nginx).</summary>
    public string? CertificatePemPath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePemPath"/>.</summary>
    public string? KeyPemPath { get; set; }

    /// <summary>
    /// After SIGTERM, how long <c>/readyz</c> answers 503 while other calls are still served, before the port closes and
    /// the silo leaves the cluster: time for a load balancer's health checks to take the silo out. Default 2 s.
    /// </summary>
    public TimeSpan ShutdownDrainDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the silo serves HTTP.</summary>
    public bool Enabled => Port != 0;
}
