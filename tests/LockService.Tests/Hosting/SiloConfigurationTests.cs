using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Hosting;

/// <summary>
/// Where a silo process takes its settings from: <c>LOCKSILO_</c> environment variables and the command line only,
/// and fault-injection hooks only behind <c>--enable-fault-injection</c>.
/// </summary>
public sealed class SiloConfigurationTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_stray_unprefixed_POSTGRES_variable_is_ignored_and_the_silo_stays_a_development_silo()
    {
        var database = await TestDatabase.CreateAsync("locks_stray");
        var (clusterId, serviceId) = ($"stray-{Guid.NewGuid():N}", $"stray-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, environment: new Dictionary<string, string> { ["POSTGRES"] = database });
        await silo.WaitUntilReadyAsync();

        Assert.Contains("NOTHING IS DURABLE", silo.Output);
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(database, "SELECT count(*) FROM orleansmembershiptable"));
    }

    [Fact]
    public async Task A_stray_unprefixed_CLOCKOFFSET_variable_does_not_shift_the_lock_clock()
    {
        var (clusterId, serviceId) = ($"stray-{Guid.NewGuid():N}", $"stray-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, environment: new Dictionary<string, string> { ["CLOCKOFFSET"] = "10:00:00" });
        await silo.WaitUntilReadyAsync();

        var result = await TryAcquireAsync(silo, clusterId, serviceId);

        Assert.Equal(LockOutcome.Granted, result.Outcome);
        Assert.True(result.ExpiresAt < DateTimeOffset.UtcNow + Ttl + TimeSpan.FromMinutes(10), $"lease expires at {result.ExpiresAt:O}: the stray offset was applied");
        Assert.DoesNotContain("FAULT INJECTION", silo.Output);
    }

    [Theory]
    [InlineData("--clock-offset", "00:00:30", "ClockOffset")]
    [InlineData("--chaos-crash-after-write-of", "some-lock", "ChaosCrashAfterWriteOf")]
    public async Task A_fault_hook_without_the_switch_refuses_to_start_and_names_the_rule(string option, string value, string setting)
    {
        var (clusterId, serviceId) = ($"hook-{Guid.NewGuid():N}", $"hook-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, extraArguments: [option, value]);

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"{setting} is a fault-injection hook", silo.Output);
        Assert.Contains("--enable-fault-injection", silo.Output);
        Assert.DoesNotContain(SiloProcess.ReadyMessage, silo.Output);
    }

    [Fact]
    public async Task A_fault_hook_by_environment_without_the_switch_refuses_to_start()
    {
        var (clusterId, serviceId) = ($"hook-{Guid.NewGuid():N}", $"hook-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, environment: new Dictionary<string, string> { ["LOCKSILO_CLOCKOFFSET"] = "00:00:30" });

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("ClockOffset is a fault-injection hook", silo.Output);
    }

    [Fact]
    public async Task With_the_switch_a_fault_hook_applies_and_the_silo_announces_it_at_start_and_in_its_log()
    {
        var (clusterId, serviceId) = ($"hook-{Guid.NewGuid():N}", $"hook-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(postgres: null, clusterId, serviceId, extraArguments: ["--enable-fault-injection", "--clock-offset", "01:00:00"]);
        await silo.WaitUntilReadyAsync();

        // Once as a banner before the host starts, and again as a warning in the silo's log once it serves.
        var announcements = silo.Output.Split('\n').Where(line => line.Contains("FAULT INJECTION ENABLED", StringComparison.Ordinal)).ToList();
        Assert.True(announcements.Count >= 2, $"expected the banner and the log warning, got:\n{silo.Output}");
        Assert.Contains(announcements, line => line.Contains("ClockOffset", StringComparison.Ordinal) && line.Contains("warn", StringComparison.Ordinal));

        var result = await TryAcquireAsync(silo, clusterId, serviceId);
        Assert.True(result.ExpiresAt > DateTimeOffset.UtcNow + Ttl + TimeSpan.FromMinutes(30), $"lease expires at {result.ExpiresAt:O}: the offset was not applied");
    }

    private static async Task<LockResult> TryAcquireAsync(SiloProcess silo, string clusterId, string serviceId)
    {
        await using var client = await LockClientConnection.ConnectAsync(o =>
        {
            o.Gateways.Add(silo.Gateway);
            (o.ClusterId, o.ServiceId) = (clusterId, serviceId);
        });
        return await client.Grains.GetGrain<ILockGrain>(LockNames.Unique("config")).TryAcquire("server-1", Ttl);
    }
}
