namespace LockService.Bench.Scenarios;

/// <summary>How long and how wide the scenarios run; the defaults are the issue's.</summary>
internal sealed record ScenarioSettings
{
    /// <summary>Measured time of every timed scenario, per peer (the sum of its windows).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The measured time of each scenario is split into this many windows, taking turns between the peers, so load
    /// from elsewhere on the (shared) machine falls on every peer alike.
    /// </summary>
    public int Rounds { get; init; } = 5;

    /// <summary>
    /// Pause after each peer's window of a contiguous scenario ((b)): longer than the lock service's default release
    /// write delay (5 s), so its deferred writes finish before the next peer runs.
    /// </summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Run once per scenario and peer before its windows and thrown away (JIT, pools, activations, first-grant work).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Concurrent clients of scenarios (b), (c), (d) and (f).</summary>
    public int Clients { get; init; } = 32;

    /// <summary>Distinct lock names of scenario (b).</summary>
    public int Names { get; init; } = 1_000;

    /// <summary>
    /// Distinct lock names of (b)'s second row, <c>b-large</c> (issue 19, item 5): how the peers hold up when names are
    /// many, and what they cost a silo's memory. 0 skips it.
    /// </summary>
    public int LargeNames { get; init; } = 100_000;

    /// <summary>
    /// The peers that run <c>b-large</c>: the lock table and the service on one silo. Its warm-up touches every name
    /// once (30-60 s per peer here), so running every peer through it would add minutes to the run for little.
    /// </summary>
    public IReadOnlyList<string> LargeNamesPeers { get; init; } = ["pg-row", "orleans-1"];

    /// <summary>
    /// Longest wait, after a (b) window and its <see cref="Settle"/>, for PostgreSQL to go quiet (the lock service's
    /// lazily written releases of 100,000 names take a while to drain), before the next peer runs.
    /// </summary>
    public TimeSpan QuietWait { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Slots of the one semaphore of scenario (f).</summary>
    public int SemaphoreMaxCount { get; init; } = 4;

    /// <summary>How long a holder keeps the lock in scenario (d), and a slot in (f).</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Lease of every grant in (a)–(d): far longer than any hold, so no lease runs out mid-scenario.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Locks held at once in scenario (e).</summary>
    public int ScaleLocks { get; init; } = 100_000;

    /// <summary>Locks acquired and released on the fresh silo of scenario (e) before its baseline is taken.</summary>
    public int ScaleWarmupLocks { get; init; } = 2_000;

    /// <summary>Concurrent acquirers in scenario (e).</summary>
    public int ScaleClients { get; init; } = 64;

    /// <summary>Lease of the scale scenario's grants: longer than the scenario, so keep-alive traffic stays small.</summary>
    public TimeSpan ScaleTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Queue lengths of the queue scenario <c>q</c> (issue 14): the queue holds this many to twice as many pending tasks while measured.</summary>
    public IReadOnlyList<int> QueuePending { get; init; } = [1_000, 10_000];

    /// <summary>Queue length of <c>q-large</c>, the queue at 100,000 pending (<c>--queue-large</c>; 0 skips it).</summary>
    public int QueueLargePending { get; init; } = 100_000;

    /// <summary>Lease of every claim in the queue scenarios: far longer than any window, so no claim ends mid-scenario.</summary>
    public TimeSpan QueueTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long (e) waits at most for idle lock grains to deactivate after release.</summary>
    public TimeSpan IdleWait { get; init; } = TimeSpan.FromMinutes(4);
}
