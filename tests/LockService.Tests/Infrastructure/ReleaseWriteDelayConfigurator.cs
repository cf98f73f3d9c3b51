using LockService.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace LockService.Tests.Infrastructure;

/// <summary>Sets <see cref="LockGrainOptions.ReleaseWriteDelay"/> on a test cluster's silos.</summary>
public sealed class ReleaseWriteDelayConfigurator : ISiloConfigurator
{
    public const string Key = "LockTestReleaseWriteDelay";

    /// <summary>Adds this configurator to <paramref name="builder"/> with <paramref name="delay"/>.</summary>
    public static void Prepare(TestClusterBuilder builder, TimeSpan delay)
    {
        builder.Properties[Key] = delay.ToString("c");
        builder.AddSiloBuilderConfigurator<ReleaseWriteDelayConfigurator>();
    }

    public void Configure(ISiloBuilder silo)
    {
        var delay = TimeSpan.Parse(silo.Configuration[Key]!, System.Globalization.CultureInfo.InvariantCulture);
        silo.Services.Configure<LockGrainOptions>(options => options.ReleaseWriteDelay = delay);
    }
}
