using LockService.Bench.Scenarios;

namespace LockService.Bench.Reporting;

/// <summary>Every figure of one run, by scenario, peer and metric, and every correctness failure seen.</summary>
internal sealed class BenchResults
{
    private readonly Lock _gate = new();

    public SortedDictionary<string, SortedDictionary<string, SortedDictionary<string, double>>> Scenarios { get; } = new(StringComparer.Ordinal);

    public List<string> Failures { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>Each peer's settings, as it reported them (<see cref="LockService.Bench.Peers.IBenchLock.Configuration"/>), by peer name.</summary>
    public SortedDictionary<string, IReadOnlyDictionary<string, string>> Configurations { get; } = new(StringComparer.Ordinal);

    /// <summary>Records the settings <paramref name="peer"/> ran with.</summary>
    public void Configure(string peer, IReadOnlyDictionary<string, string> configuration)
    {
        lock (_gate)
        {
            Configurations[peer] = configuration;
        }
    }

    public void Set(string scenario, string peer, string metric, double value)
    {
        lock (_gate)
        {
            if (!Scenarios.TryGetValue(scenario, out var peers))
            {
                Scenarios[scenario] = peers = new(StringComparer.Ordinal);
            }

            if (!peers.TryGetValue(peer, out var metrics))
            {
                peers[peer] = metrics = new(StringComparer.Ordinal);
            }

            metrics[metric] = value;
        }
    }

    public double? Get(string scenario, string peer, string metric)
    {
        lock (_gate)
        {
            return Scenarios.TryGetValue(scenario, out var peers) && peers.TryGetValue(peer, out var metrics) && metrics.TryGetValue(metric, out var value)
                ? value
                : null;
        }
    }

    /// <summary>Records what the scenario's exclusion monitor saw; two holders at once or a token that did not rise fails the run.</summary>
    public void CheckExclusion(string scenario, string peer, ExclusionMonitor monitor)
    {
        Set(scenario, peer, "overlaps", monitor.Overlaps);
        Set(scenario, peer, "token_regressions", monitor.TokenRegressions);
        if (monitor.Overlaps > 0)
        {
            Fail(monitor.MaxHolders == 1
                ? $"({scenario}) {peer}: MUTUAL EXCLUSION VIOLATED: {monitor.Overlaps} times two clients held the lock at once."
                : $"({scenario}) {peer}: SEMAPHORE LIMIT VIOLATED: {monitor.Overlaps} times more than {monitor.MaxHolders} clients held the semaphore at once, or two held one slot.");
        }

        if (monitor.TokenRegressions > 0)
        {
            Fail($"({scenario}) {peer}: FENCING VIOLATED: {monitor.TokenRegressions} grants carried a fencing token no larger than the grant before{(monitor.MaxHolders == 1 ? "" : " in the same slot")}.");
        }
    }

    public void Fail(string failure)
    {
        lock (_gate)
        {
            Failures.Add(failure);
        }

        Console.Error.WriteLine($"bench: FAILURE: {failure}");
    }

    public void Note(string note)
    {
        lock (_gate)
        {
            Notes.Add(note);
        }

        Console.Error.WriteLine($"bench: note: {note}");
    }
}
