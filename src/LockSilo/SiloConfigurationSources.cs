using LockService.Http;
using Microsoft.Extensions.Configuration;

namespace LockService.Silo;

/// <summary>
/// The only places a silo reads its settings from, lowest precedence first: <c>appsettings.json</c> in the working
/// directory, <c>LOCKSILO_</c> environment variables, and the command line. Unprefixed environment variables are never
/// read: a stray <c>POSTGRES</c> or <c>CLOCKOFFSET</c> left in an operator's shell must not reconfigure a silo.
/// </summary>
public static class SiloConfigurationSources
{
    /// <summary>The prefix of every environment variable a silo reads (<c>LOCKSILO_POSTGRES</c>, ...).</summary>
    public const string EnvironmentPrefix = "LOCKSILO_";

    /// <summary>The command-line flag that allows fault-injection hooks (see <see cref="LockSiloOptions.EnableFaultInjection"/>).</summary>
    public const string EnableFaultInjectionFlag = "--enable-fault-injection";

    /// <summary>The command-line flag that allows serving HTTP without keys off loopback (see <c>HttpApiOptions.InsecureHttp</c>).</summary>
    public const string InsecureHttpFlag = "--insecure-http";

    // Options given without a value ("--enable-fault-injection" alone) mean true.
    private static readonly string[] Flags = [EnableFaultInjectionFlag, InsecureHttpFlag];

    private static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--postgres"] = nameof(LockSiloOptions.Postgres),
        ["--silo-port"] = nameof(LockSiloOptions.SiloPort),
        ["--gateway-port"] = nameof(LockSiloOptions.GatewayPort),
        ["--cluster-id"] = nameof(LockSiloOptions.ClusterId),
        ["--service-id"] = nameof(LockSiloOptions.ServiceId),
        ["--advertised-address"] = nameof(LockSiloOptions.AdvertisedAddress),
        ["--silo-name"] = nameof(LockSiloOptions.SiloName),
        [EnableFaultInjectionFlag] = nameof(LockSiloOptions.EnableFaultInjection),
        ["--clock-offset"] = nameof(LockSiloOptions.ClockOffset),
        ["--chaos-crash-after-write-of"] = nameof(LockSiloOptions.ChaosCrashAfterWriteOf),
        ["--http-port"] = $"{HttpApiOptions.SectionName}:{nameof(HttpApiOptions.Port)}",
        ["--http-address"] = $"{HttpApiOptions.SectionName}:{nameof(HttpApiOptions.Address)}",
        [InsecureHttpFlag] = $"{HttpApiOptions.SectionName}:{nameof(HttpApiOptions.InsecureHttp)}",
        ["--https-cert"] = $"{HttpApiOptions.SectionName}:{nameof(HttpApiOptions.CertificatePemPath)}",
        ["--https-key"] = $"{HttpApiOptions.SectionName}:{nameof(HttpApiOptions.KeyPemPath)}",
    };

    /// <summary>Adds the silo's configuration sources, in precedence order, to <paramref name="configuration"/>.</summary>
    public static IConfigurationBuilder AddLockSiloSources(this IConfigurationBuilder configuration, string contentRoot, string[] args)
    {
        configuration.AddJsonFile(Path.Combine(contentRoot, "appsettings.json"), optional: true, reloadOnChange: false);
        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(WithFlagValues(args), SwitchMappings);
        return configuration;
    }

    // The command-line provider reads every option as "--key value", so a bare "--enable-fault-injection" would swallow
    // the option after it as its value. A flag with no true/false after it means true.
    private static string[] WithFlagValues(string[] args)
    {
        var expanded = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var next = i + 1 < args.Length ? args[i + 1] : null;
            expanded.Add(Flags.Contains(args[i]) && !bool.TryParse(next, out _) ? $"{args[i]}=true" : args[i]);
        }

        return [.. expanded];
    }
}
