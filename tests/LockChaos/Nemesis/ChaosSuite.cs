using LockService.Chaos.Workload;

namespace LockService.Chaos.Nemesis;

/// <summary>The chaos tests: the full suite, and the smoke subset that runs in scripts/test.sh.</summary>
public static class ChaosSuite
{
    public static IReadOnlyList<ChaosTest> Full(PostgresControl postgres) =>
    [
        new("baseline", Settings(locks: 4), Faults.NoneAsync),
        new("silo-kill", Settings(), Faults.Every(Faults.KillHostingSiloAsync)),
        new("client-kill", Settings(), Faults.Every(Faults.KillClientAsync)),
        new("silo-pause", Settings(duration: 90), Faults.Every(Faults.PauseHostingSiloAsync)),
        new("client-pause", Settings(), Faults.Every(Faults.PauseClientAsync)),
        new("postgres-restart", Settings(), Faults.Every(Faults.Postgres(postgres, "restart"))),
        new("postgres-stop", Settings(duration: 75), Faults.Every(Faults.Postgres(postgres, "stop"))),
        new("postgres-terminate-backends", Settings(), Faults.Every(Faults.Postgres(postgres, "terminate"))),
        new("partition-silo", Settings(duration: 100), Faults.Every(Faults.PartitionSilo(keepPostgres: true)), SiloNetworks: true),
        new("partition-silo-and-postgres", Settings(duration: 100), Faults.Every(Faults.PartitionSilo(keepPostgres: false)), SiloNetworks: true),
        new("rolling-restart-join-die", Settings(duration: 120), Faults.Every(new MembershipChurn().RunRoundAsync)),
        // Skew matters when a lock moves: a lease written under one silo's clock is judged by another's. Silo 0 runs
        // 30 s ahead (it sees leases written elsewhere as expired) or 30 s behind (the leases it writes look expired
        // to the others), and the nemesis keeps migrating every lock across that boundary while clients hold them.
        ClockSkew("clock-skew-ahead", "00:00:30", measureC3: true),
        ClockSkew("clock-skew-behind", "-00:00:30", measureC3: true),
        // Skew below two thirds of the TTL (the keep-alive renews at a third) leaves a moved lease time on either
        // clock: C3 is judged here, not measured. C7 is measured: 5 s is more than the handle's safety margin (a tenth
        // of the TTL), so a handle whose renewals fail while its lock moves to the silo ahead can believe in its lease
        // for up to skew - margin after that silo has granted it again (README, "Leases need clocks in step").
        ClockSkew("clock-skew-small", "00:00:05", measureC3: false),
        new("crash-after-write", Settings(), Faults.CrashAfterWriteAsync, SiloArguments: _ => ["--enable-fault-injection", "--chaos-crash-after-write-of", "chaos-crash"]),
        new("many-locks", Settings(locks: 100), Faults.Every(Faults.KillHostingSiloAsync)),
        new("overload", Settings(duration: 120) with { Clients = 4 }, Overload.RunAsync, SiloArguments: Overload.SiloArguments),
        // The work queue: 16 worker processes while workers and silos are killed (QueueChaosRun).
        QueueKill(Settings(duration: 60) with { FaultInterval = (TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(10)) }, new QueueWorkload { Workers = 16 }),

        // Lazily durable release again, where a fault can lose a release that is still only in memory: a silo killed,
        // paused past failure detection, cut off or restarted, or storage gone when the deferred write runs. Storage
        // then names the releaser until its lease ends (a delay, never a second holder). The client and clock faults
        // and the overload test do not depend on how releases are written, so they run once, with releases at once.
        Lazy(new("baseline", Settings(locks: 4), Faults.NoneAsync)),
        Lazy(new("silo-kill", Settings(), Faults.Every(Faults.KillHostingSiloAsync))),
        Lazy(new("silo-pause", Settings(duration: 90), Faults.Every(Faults.PauseHostingSiloAsync))),
        Lazy(new("postgres-stop", Settings(duration: 75), Faults.Every(Faults.Postgres(postgres, "stop")))),
        Lazy(new("partition-silo", Settings(duration: 100), Faults.Every(Faults.PartitionSilo(keepPostgres: true)), SiloNetworks: true)),
        Lazy(new("rolling-restart-join-die", Settings(duration: 120), Faults.Every(new MembershipChurn().RunRoundAsync))),
        Lazy(new("many-locks", Settings(locks: 100), Faults.Every(Faults.KillHostingSiloAsync))),
    ];

    /// <summary>
    /// Both release modes, briefly: the silo kill in each (with releases at once aimed first at the hot semaphore's
    /// silo, lazily at the hot lock's), the client pause with releases at once, the PostgreSQL restart lazily; and the
    /// work queue with workers and silos killed.
    /// </summary>
    public static IReadOnlyList<ChaosTest> Smoke(PostgresControl postgres) =>
    [
        new("baseline", Smoke(15), Faults.NoneAsync),
        new("silo-kill", Smoke(25), Faults.Every(Faults.KillSemaphoreHostFirstAsync)),
        Lazy(new("silo-kill", Smoke(25), Faults.Every(Faults.KillHostingSiloAsync))),
        new("client-pause", Smoke(22), Faults.Every(Faults.PauseClientAsync)),
        Lazy(new("postgres-restart", Smoke(20), Faults.Every(Faults.Postgres(postgres, "restart")))),
        QueueKill(Smoke(25) with { FaultInterval = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7)) }, new QueueWorkload()),
    ];

    /// <summary>The queue workload, a worker or a silo killed at random each round; judged by the queue checker.</summary>
    private static ChaosTest QueueKill(ChaosSettings settings, QueueWorkload workload) =>
        new("queue-kill", settings, Faults.Every(Faults.KillQueueWorkerOrSiloAsync), Queue: workload);

    /// <summary>The same test with lazily durable release (the benchmark's 5 s), named with a <c>-lazy</c> suffix.</summary>
    private static ChaosTest Lazy(ChaosTest test) =>
        test with { Name = $"{test.Name}-lazy", Settings = test.Settings with { ReleaseWriteDelay = TimeSpan.FromSeconds(5) } };

    private static ChaosTest ClockSkew(string name, string offset, bool measureC3) => new(
        name,
        Settings(locks: 4, ttlSeconds: 10) with { FaultInterval = (TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)), HoldMs = (2000, 8000) },
        Faults.Every(Faults.MigrateLocksAsync),
        SiloArguments: i => i == 0 ? ["--enable-fault-injection", $"--clock-offset={offset}"] : [],
        MeasureC3: measureC3,
        MeasureC7: true);

    private static ChaosSettings Settings(int locks = 8, int duration = 60, int ttlSeconds = 3) => new()
    {
        Ttl = TimeSpan.FromSeconds(ttlSeconds),
        Clients = 16,
        WorkersPerClient = 1,
        Locks = locks,
        Duration = TimeSpan.FromSeconds(duration),
        FaultInterval = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)),
    };

    private static ChaosSettings Smoke(int duration) => new()
    {
        Clients = 4,
        WorkersPerClient = 2,
        Locks = 4,
        Duration = TimeSpan.FromSeconds(duration),
        FaultInterval = (TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(12)),
    };
}
