using LockService.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace LockService.Tests.Hosting;

/// <summary>
/// The failover time itself is measured (the demo, scripts/measure-failover.sh, FailoverTests' output), never asserted
/// by a timed test; what a test can pin is that the silo really runs with the tuned settings.
/// </summary>
public sealed class FailoverTuningTests
{
    [Fact]
    public void A_durable_silo_runs_with_the_failover_tuning()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseLockService(new LockSiloOptions { Postgres = "Host=127.0.0.1;Database=unused" }));
        using var host = builder.Build();

        var membership = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(LockFailoverTuning.ProbeTimeout, membership.ProbeTimeout);
        Assert.Equal(LockFailoverTuning.NumMissedProbesLimit, membership.NumMissedProbesLimit);
        Assert.Equal(LockFailoverTuning.NumVotesForDeathDeclaration, membership.NumVotesForDeathDeclaration);
        Assert.Equal(LockFailoverTuning.IAmAliveTablePublishTimeout, membership.IAmAliveTablePublishTimeout);
        Assert.Equal(LockFailoverTuning.TableRefreshTimeout, membership.TableRefreshTimeout);
        Assert.True(membership.EnableIndirectProbes);
        Assert.Equal(LockFailoverTuning.SiloResponseTimeout, host.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ResponseTimeout);
    }

    [Fact]
    public void The_silo_fails_fast_on_a_lost_database_unless_the_operator_chose_timeouts()
    {
        Assert.Equal(
            "Host=db;Database=locks;Timeout=3;Command Timeout=5",
            PostgresConnectionDefaults.Apply("Host=db;Database=locks"));
        Assert.Equal(
            "Host=db;Database=locks;Timeout=20;Command Timeout=60",
            PostgresConnectionDefaults.Apply("Host=db;Database=locks;Timeout=20;Command Timeout=60"));
    }
}
