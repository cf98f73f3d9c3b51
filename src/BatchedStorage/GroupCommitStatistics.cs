using System.Diagnostics.Metrics;

namespace LockService.Storage;

/// <summary>
/// How a batched grain storage's writes were shared: how many commits (round trips) carried how many writes. Read it
/// in process (tests, diagnostics) or with <c>dotnet-counters monitor --counters LockService.Storage</c>.
/// </summary>
public sealed class GroupCommitStatistics : IDisposable
{
    /// <summary>The meter the instruments below are published on.</summary>
    public const string MeterName = "LockService.Storage";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _commitCounter;
    private readonly Histogram<int> _commitSize;
    private readonly KeyValuePair<string, object?> _provider;
    private long _commits;
    private long _writes;
    private long _failedCommits;
    private int _largestCommit;
    private int _queued;

    /// <summary>Statistics of the provider named <paramref name="providerName"/>.</summary>
    public GroupCommitStatistics(string providerName)
    {
        _provider = new("provider", providerName);
        _commitCounter = _meter.CreateCounter<long>("lockservice.storage.commits", description: "Shared commits sent to PostgreSQL (one round trip each), by outcome.");
        _commitSize = _meter.CreateHistogram<int>("lockservice.storage.commit_size", unit: "{write}", description: "Grain state writes per shared commit.");
        _meter.CreateObservableGauge("lockservice.storage.queued_writes", () => new Measurement<int>(Queued, _provider), unit: "{write}", description: "Writes waiting for a commit to carry them.");
    }

    /// <summary>Commits sent (each one round trip and one transaction), successful or not.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Grain state writes those commits carried.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Commits that failed as a whole (every write in them failed closed).</summary>
    public long FailedCommits => Interlocked.Read(ref _failedCommits);

    /// <summary>The most writes one commit has carried.</summary>
    public int LargestCommit => Volatile.Read(ref _largestCommit);

    /// <summary>Writes waiting right now for a commit to carry them.</summary>
    public int Queued => Volatile.Read(ref _queued);

    internal void Sent(int writes, bool failed)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _writes, writes);
        if (failed)
        {
            Interlocked.Increment(ref _failedCommits);
        }

        var largest = Volatile.Read(ref _largestCommit);
        while (writes > largest && Interlocked.CompareExchange(ref _largestCommit, writes, largest) is var seen && seen != largest)
        {
            largest = seen;
        }

        _commitCounter.Add(1, _provider, new("outcome", failed ? "failed" : "committed"));
        _commitSize.Record(writes, _provider);
    }

    internal void QueuedChanged(int queued) => Volatile.Write(ref _queued, queued);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
