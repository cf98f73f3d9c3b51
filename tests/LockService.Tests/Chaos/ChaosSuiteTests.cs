using LockService.Chaos.Nemesis;

namespace LockService.Tests.Chaos;

/// <summary>
/// The chaos suite runs with lazily durable release on as well as off, and the smoke subset covers both briefly; every
/// test has a semaphore workload beside the locks'.
/// </summary>
public sealed class ChaosSuiteTests
{
    // The suites only name the database; nothing here starts or touches it.
    private static readonly PostgresControl Postgres = new("Host=unused", "/unused/bin", "/unused/data");

    [Fact]
    public void The_full_suite_runs_every_test_with_releases_at_once_and_the_faults_that_can_lose_a_release_again_lazily()
    {
        var tests = ChaosSuite.Full(Postgres);

        var atOnce = tests.Where(t => t.Settings.ReleaseWriteDelay == TimeSpan.Zero).Select(t => t.Name).ToList();
        var lazy = tests.Where(t => t.Settings.ReleaseWriteDelay > TimeSpan.Zero).ToList();
        Assert.Equal(18, atOnce.Count);
        Assert.Equal(
            ["baseline-lazy", "silo-kill-lazy", "silo-pause-lazy", "postgres-stop-lazy", "partition-silo-lazy", "rolling-restart-join-die-lazy", "many-locks-lazy"],
            lazy.Select(t => t.Name));
        Assert.All(lazy, t => Assert.Contains(t.Name[..^"-lazy".Length], atOnce));
        Assert.All(lazy, t => Assert.Equal("lazy 5 s", t.Settings.ReleaseMode));
        Assert.Equal(tests.Count, tests.Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void The_smoke_suite_covers_both_release_modes()
    {
        var modes = ChaosSuite.Smoke(Postgres).Select(t => t.Settings.ReleaseMode).Distinct();

        Assert.Equal(["at once", "lazy 5 s"], modes.Order());
    }

    [Fact]
    public void Every_lock_test_runs_semaphore_workers_beside_the_lock_workers_more_of_them_than_a_semaphore_has_slots()
    {
        // The queue tests run queue workers instead of lock and semaphore clients.
        Assert.All(ChaosSuite.Smoke(Postgres).Concat(ChaosSuite.Full(Postgres)).Where(test => test.Queue is null), test =>
        {
            var workers = test.Settings.Clients * test.Settings.SemaphoreWorkersPerClient;
            Assert.True(workers > test.Settings.Semaphores * test.Settings.SemaphoreMaxCount, $"{test.Name}: {workers} semaphore workers on {test.Settings.Semaphores} × {test.Settings.SemaphoreMaxCount} slots do not contend");
        });
    }

    [Fact]
    public void The_smoke_and_full_suites_run_the_queue_workload_with_workers_and_silos_killed()
    {
        var smoke = Assert.Single(ChaosSuite.Smoke(Postgres), test => test.Queue is not null);
        var full = Assert.Single(ChaosSuite.Full(Postgres), test => test.Queue is not null);

        Assert.Equal(("queue-kill", "queue-kill"), (smoke.Name, full.Name));
        Assert.Equal(16, full.Queue!.Workers);
        Assert.True(smoke.Queue!.Workers > 1);
    }

    [Fact]
    public void A_lazy_test_starts_its_silos_with_the_release_write_delay_and_one_with_releases_at_once_with_zero()
    {
        var lazy = ChaosSuite.Smoke(Postgres).First(t => t.Settings.ReleaseWriteDelay > TimeSpan.Zero);
        var atOnce = ChaosSuite.Smoke(Postgres).First(t => t.Settings.ReleaseWriteDelay == TimeSpan.Zero);

        Assert.Equal("00:00:05", ChaosCluster.SiloEnvironment(lazy.Settings)["LOCKSILO_LockGrains__ReleaseWriteDelay"]);
        // The product's default is lazy: "at once" has to be asked for.
        Assert.Equal("00:00:00", ChaosCluster.SiloEnvironment(atOnce.Settings)["LOCKSILO_LockGrains__ReleaseWriteDelay"]);
    }
}
