using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace LockService.Silo;

/// <summary>
/// Gives memory back to the operating system after a wave of deactivations: a burst of locks that went idle and were
/// collected. The .NET GC keeps freed memory committed for reuse and only decommits it during a full collection, which
/// an idle silo has no reason to run, so without this the silo's resident size would stay at its peak for good.
/// </summary>
/// <remarks>
/// Every <see cref="LockSiloOptions.MemoryReturnCheckInterval"/> it looks at how many activations ended; after a wave of at
/// least <see cref="IdleMemoryReturnPolicy.WaveSize"/> that has died down, it runs one aggressive, compacting full
/// collection. That pauses the silo briefly, which is why it waits for a wave: a silo in steady use never triggers it.
/// </remarks>
internal sealed partial class IdleMemoryReturn(IOptions<LockSiloOptions> options, TimeProvider clock, ILogger<IdleMemoryReturn> logger)
    : BackgroundService, IActivationWorkingSetObserver
{
    private readonly IdleMemoryReturnPolicy _policy = new();
    private long _deactivations;

    public void OnDeactivated(IActivationWorkingSetMember member) => Interlocked.Increment(ref _deactivations);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MemoryReturnCheckInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_policy.ShouldCollect(Interlocked.Exchange(ref _deactivations, 0)))
                {
                    var before = Environment.WorkingSet;
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    LogReturned(before >> 20, Environment.WorkingSet >> 20);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Memory returned after a wave of idle deactivations: working set {BeforeMiB} MiB -> {AfterMiB} MiB.")]
    private partial void LogReturned(long beforeMiB, long afterMiB);
}

/// <summary>When <see cref="IdleMemoryReturn"/> collects: after a large wave of deactivations, once it has died down.</summary>
internal sealed class IdleMemoryReturnPolicy
{
    /// <summary>Deactivations that make a wave worth a full collection (a few MiB of lock grains at least).</summary>
    public const long WaveSize = 10_000;

    private long _wave;

    // Deactivations since a wave's collection, while its tail may still be running out.
    private long? _tail;

    /// <summary>
    /// Takes the deactivations of the last interval. A wave is a run of intervals with at least a tenth of
    /// <see cref="WaveSize"/> each; true when a wave of at least <see cref="WaveSize"/> in all has just ended. Slow churn
    /// never makes a wave, so it never costs a full collection. A wave can slow down for an interval and then go on
    /// (deactivations that each wait for a deferred release write, say): once it has stopped completely, one more
    /// collection picks up a tail of at least a tenth of a wave that came after the first.
    /// </summary>
    public bool ShouldCollect(long deactivationsThisInterval)
    {
        _wave += deactivationsThisInterval;
        if (deactivationsThisInterval >= WaveSize / 10)
        {
            return false;
        }

        var ended = _wave;
        _wave = 0;
        if (ended >= WaveSize)
        {
            _tail = 0;
            return true;
        }

        if (_tail is { } tail)
        {
            tail += ended;
            _tail = deactivationsThisInterval == 0 ? null : tail;
            return deactivationsThisInterval == 0 && tail >= WaveSize / 10;
        }

        return false;
    }
}
