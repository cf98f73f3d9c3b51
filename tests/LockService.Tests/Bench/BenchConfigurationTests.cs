using LockService.Bench;
using LockService.Bench.Hosting;
using LockService.Bench.Peers;
using LockService.Bench.Reporting;
using LockService.Silo;
using Npgsql;

namespace LockService.Tests.Bench;

/// <summary>
/// Issue 19, item 1: the benchmark compares the service on its defaults with baselines tuned as the silo tunes its own
/// storage, and names every variant. These pin the settings the bench starts its peers with (the run records them too).
/// </summary>
public sealed class BenchConfigurationTests
{
    private const string Server = "Host=db.example;Database=locks_bench;Username=locks";

    [Fact]
    public void Every_postgres_peer_connects_with_the_tuning_the_silo_gives_its_lock_storage()
    {
        var silo = new NpgsqlConnectionStringBuilder(PostgresConnectionDefaults.ForPool(Server, PostgresPool.Storage));
        foreach (var peer in new[] { "pg-row", "pg-advisory" })
        {
            var tuned = new NpgsqlConnectionStringBuilder(PeerConnections.For(Server, peer));

            Assert.Equal(16, tuned.MaxAutoPrepare);
            Assert.True(tuned.NoResetOnClose);
            Assert.Equal(
                (silo.MaxAutoPrepare, silo.NoResetOnClose, silo.MaxPoolSize),
                (tuned.MaxAutoPrepare, tuned.NoResetOnClose, tuned.MaxPoolSize));
            Assert.Equal($"bench {peer}", tuned.ApplicationName);
            Assert.Equal(("db.example", "locks_bench"), (tuned.Host, tuned.Database));
            Assert.Equal("16", PeerConnections.Describe(tuned.ConnectionString)["Npgsql Max Auto Prepare"]);
        }
    }

    [Fact]
    public void The_headline_peers_run_the_silo_defaults_and_every_variant_has_a_name_of_its_own()
    {
        Assert.Equal<(int, SiloVariant)?>((1, SiloVariant.Defaults), Report.OrleansPeer("orleans-1"));
        Assert.Equal<(int, SiloVariant)?>((3, SiloVariant.Defaults), Report.OrleansPeer("orleans-3"));
        Assert.Empty(SiloVariant.Defaults.Environment);
        Assert.DoesNotContain(SiloVariant.Defaults.Effective().Values, value => value.Contains("(set)", StringComparison.Ordinal));

        Assert.Equal<(int, SiloVariant)?>((1, SiloVariant.EagerRelease), Report.OrleansPeer("orleans-1-eager"));
        Assert.Equal("00:00:00", SiloVariant.EagerRelease.Environment["LOCKSILO_LockGrains__ReleaseWriteDelay"]);
        Assert.Equal("00:00:00 (set)", SiloVariant.EagerRelease.Effective()["LockGrains:ReleaseWriteDelay"]);
        Assert.Equal("00:00:05 (default)", SiloVariant.Defaults.Effective()["LockGrains:ReleaseWriteDelay"]);

        Assert.Null(Report.OrleansPeer("orleans-1-tuned"));
        Assert.Null(Report.OrleansPeer("pg-row"));
        Assert.All(Report.DefaultPeers, peer => Assert.Contains(peer, Report.Peers));
        Assert.All(Report.Peers.Where(peer => peer.StartsWith("orleans-", StringComparison.Ordinal)), peer => Assert.NotNull(Report.OrleansPeer(peer)));
    }

    [Fact]
    public void Scenarios_are_chosen_by_name_and_a_scale_of_zero_skips_its_scenario()
    {
        string[] required = ["--postgres", "Host=x", "--redis", "127.0.0.1:1", "--silo-dll", "LockSilo.dll", "--state-dir", "/tmp/x"];

        var everything = BenchOptions.Parse(required);
        Assert.Equal(new[] { "a", "b", "c", "d", "f", "b-large" }, everything.TimedScenarios);
        Assert.True(everything.RunsScale);
        Assert.Equal(Report.DefaultPeers, everything.Peers);

        var onlyF = BenchOptions.Parse([.. required, "--scenarios", "f"]);
        Assert.Equal(new[] { "f" }, onlyF.TimedScenarios);
        Assert.False(onlyF.RunsScale);

        var onlyE = BenchOptions.Parse([.. required, "--scenarios", "e", "--scale", "20000"]);
        Assert.Empty(onlyE.TimedScenarios);
        Assert.True(onlyE.RunsScale);
        Assert.Equal(20_000, onlyE.Scenarios.ScaleLocks);

        var noLarge = BenchOptions.Parse([.. required, "--scale", "0", "--large-names", "0"]);
        Assert.Equal(new[] { "a", "b", "c", "d", "f" }, noLarge.TimedScenarios);
        Assert.False(noLarge.RunsScale);

        // The work queue runs on peers of its own, at 1,000 and 10,000 pending, and at 100,000 unless --queue-large is 0.
        Assert.Equal(new[] { 1_000, 10_000, 100_000 }, everything.QueuePending);
        Assert.Equal(new[] { 1_000, 10_000 }, BenchOptions.Parse([.. required, "--scenarios", "q,q-large", "--queue-large", "0"]).QueuePending);
        Assert.Empty(onlyF.QueuePending);

        Assert.Throws<ArgumentException>(() => BenchOptions.Parse([.. required, "--scenarios", "a,g"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse([.. required, "--peers", "orleans-1-tuned"]));
    }

    [Fact]
    public void The_HTTP_targets_judge_the_overhead_against_orleans_1_and_the_claims_against_seed_001_in_the_same_run()
    {
        var results = new BenchResults();
        results.Set("a", "orleans-1", "pair_p50_ms", 0.70);
        results.Set("a", "http-1", "pair_p50_ms", 1.10);
        results.Set("h-10000", "http-3", "claims_per_s", 300);
        results.Set("h-10000", "seed-001", "claims_per_s", 200);

        var targets = Targets.Evaluate(results);

        var overhead = Assert.Single(targets, t => t.Name.StartsWith("(a) HTTP overhead", StringComparison.Ordinal));
        Assert.Equal(0.40, overhead.Value!.Value, precision: 6);
        Assert.False(overhead.Met);
        var claims = Assert.Single(targets, t => t.Name.StartsWith("(h) claims/s", StringComparison.Ordinal));
        Assert.Equal(1.5, claims.Value!.Value, precision: 6);
        Assert.True(claims.Met);

        // Peers that run (a) only: the lock over HTTP; the (h) scenario is a queue scenario with its own table.
        Assert.True(Report.RunsOnlyUncontended("http-1"));
        Assert.False(Report.RunsOnlyUncontended("orleans-1"));
        Assert.True(Report.IsQueueScenario("h-10000"));
    }
}
