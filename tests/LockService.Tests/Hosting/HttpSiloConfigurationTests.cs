using LockService.Testing;

namespace LockService.Tests.Hosting;

/// <summary>The silo's HTTP settings: one that cannot work refuses to start, naming the setting and the rule.</summary>
public sealed class HttpSiloConfigurationTests
{
    [Theory]
    [InlineData(new[] { "--http-port", "8080", "--http-address", "localhost-ish" }, "Http:Address must be an IP address")]
    [InlineData(new[] { "--http-port", "70000" }, "Http:Port must be between 1 and 65535")]
    [InlineData(new[] { "--http-port", "8080", "--Http:ShutdownDrainDelay", "00:01:00" }, "Http:ShutdownDrainDelay must be between 0 and 20 seconds")]
    public async Task An_unusable_HTTP_setting_refuses_to_start_and_names_the_rule(string[] arguments, string rule)
    {
        var (clusterId, serviceId) = ($"http-conf-{Guid.NewGuid():N}", $"http-conf-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, extraArguments: arguments);

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(rule, silo.Output);
        Assert.DoesNotContain(SiloProcess.ReadyMessage, silo.Output);
    }

    [Fact]
    public async Task The_HTTP_port_may_not_be_the_gateway_port()
    {
        var (clusterId, serviceId) = ($"http-conf-{Guid.NewGuid():N}", $"http-conf-{Guid.NewGuid():N}");
        var ports = FreePorts.Take(2);
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, ports[0], ports[1], extraArguments: ["--http-port", $"{ports[1]}"]);

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Http:Port must differ from SiloPort and GatewayPort", silo.Output);
    }
}
