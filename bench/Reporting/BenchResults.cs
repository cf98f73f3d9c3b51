namespace LockService.Bench.Reporting;

/// <summary>Every figure of one run, by scenario, peer and metric, and every correctness failure seen.</summary>
internal sealed class BenchResults
{
    private readonly Lock _gate = new();

    public SortedDictionary<string, SortedDictionary<string, SortedDictionary<string, double>>> Scenarios { get; } = new(StringComparer.Ordinal);

    public List<string> Failures { get; } = [];

    public List<string> Notes { get; } = [];

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

    public void CheckExclusion(string scenario, string peer, long overlaps)
    {
        if (overlaps > 0)
        {
            Fail($"({scenario}) {peer}: MUTUAL EXCLUSION VIOLATED: {overlaps} times two clients held the lock at once.");
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
