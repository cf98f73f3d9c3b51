using System.Diagnostics;

namespace LockService.Bench.Timing;

/// <summary>Latency samples in <see cref="Stopwatch"/> ticks; percentiles are exact (sorted), not estimated.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<long> _samples = [];
    private readonly Lock _gate = new();
    private long[]? _sorted;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(long stopwatchTicks)
    {
        lock (_gate)
        {
            _samples.Add(stopwatchTicks);
            _sorted = null;
        }
    }

    public double PercentileMs(double percentile)
    {
        lock (_gate)
        {
            if (_samples.Count == 0)
            {
                return double.NaN;
            }

            _sorted ??= [.. _samples.Order()];
            // Nearest rank: the smallest sample with at least `percentile` % of samples at or below it.
            var rank = (int)Math.Ceiling(percentile / 100.0 * _sorted.Length);
            var sample = _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
            return sample * 1000.0 / Stopwatch.Frequency;
        }
    }
}
