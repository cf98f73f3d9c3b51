namespace LockService.Chaos.Nemesis;

/// <summary>The workload and timing of one chaos test.</summary>
public sealed record ChaosSettings
{
    public int Clients { get; init; } = 16;

    public int WorkersPerClient { get; init; } = 1;

    public int Locks { get; init; } = 8;

    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Semaphore workers per client process, beside its lock workers (<see cref="Workload.SemaphoreWorker"/>).</summary>
    public int SemaphoreWorkersPerClient { get; init; } = 1;

    /// <summary>How many semaphores the semaphore workers share.</summary>
    public int Semaphores { get; init; } = 1;

    /// <summary>Each semaphore's limit: fewer than its workers, so they contend and C3 has something to judge.</summary>
    public int SemaphoreMaxCount { get; init; } = 2;

    /// <summary>How long a worker holds a lock once it has it: a random value in this range, in milliseconds.</summary>
    public (int Min, int Max) HoldMs { get; init; } = (100, 1500);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between faults: a random value in this range.</summary>
    public (TimeSpan Min, TimeSpan Max) FaultInterval { get; init; } = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));

    /// <summary>C6: after a fault ends the service must grant again within this bound: 5 s plus one TTL.</summary>
    public TimeSpan RecoveryBound => TimeSpan.FromSeconds(5) + Ttl;

    /// <summary>
    /// The silos' <c>LockGrains:ReleaseWriteDelay</c>: zero writes every release at once; a positive delay (the
    /// product's default is 5 s) makes a release by lease id with nobody waiting durable lazily, so a fault can lose it
    /// from memory.
    /// </summary>
    public TimeSpan ReleaseWriteDelay { get; init; } = TimeSpan.Zero;

    /// <summary>How releases reach storage in this test, for the report: "at once" or "lazy 5 s".</summary>
    public string ReleaseMode => ReleaseWriteDelay == TimeSpan.Zero ? "at once" : $"lazy {ReleaseWriteDelay.TotalSeconds:0.#} s";

    public DateTime StartedAt { get; set; } = DateTime.UtcNow;

    public int RemainingSeconds() => Math.Max(1, (int)Math.Ceiling((StartedAt + Duration - DateTime.UtcNow).TotalSeconds));
}
