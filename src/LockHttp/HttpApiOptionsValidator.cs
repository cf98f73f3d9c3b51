using System.Net;
using LockService.Http.Auth;
using Microsoft.Extensions.Options;

namespace LockService.Http;

/// <summary>Refuses HTTP settings that cannot work, with a message naming the setting, before the silo starts.</summary>
public sealed class HttpApiOptionsValidator : IValidateOptions<HttpApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, HttpApiOptions options)
    {
        var failures = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"Port must be between 1 and 65535, or 0 for no HTTP (was {options.Port}).");
        }

        if (!IPAddress.TryParse(options.Address, out _))
        {
            failures.Add($"Address must be an IP address to listen on, like 127.0.0.1 or 0.0.0.0 (was '{options.Address}').");
        }

        if (options.ShutdownDrainDelay < TimeSpan.Zero || options.ShutdownDrainDelay > TimeSpan.FromSeconds(20))
        {
            failures.Add($"ShutdownDrainDelay must be between 0 and 20 seconds, within the silo's 30 s shutdown time-out (was {options.ShutdownDrainDelay}).");
        }

        // Auth (keys, scopes, the non-loopback rule) and TLS settings have rules of their own.
        failures.AddRange(ApiKeyRules.Problems(options));
        failures.AddRange(HttpsPem.Problems(options));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
