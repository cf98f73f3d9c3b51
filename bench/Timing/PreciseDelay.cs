using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LockService.Bench.Timing;

/// <summary>
/// Sub-millisecond delays. <see cref="Task.Delay(TimeSpan)"/> moves in coarse timer steps (about 4 ms on the
/// benchmark machine), so a 1 ms hold or a 1–5 ms retry sleep would measure the timer, not the lock. One dedicated
/// thread keeps the pending deadlines and sleeps with <c>nanosleep</c> (tens of microseconds of overshoot on Linux)
/// between them; it never spins, so it does not steal a core from the servers under test.
/// </summary>
internal sealed partial class PreciseDelay
{
    public static readonly PreciseDelay Shared = new();

    // A new deadline may arrive while the thread sleeps; it never sleeps longer than this, so none is missed by more.
    private static readonly long MaxNap = Stopwatch.Frequency / 2000; // 0.5 ms

    private readonly PriorityQueue<TaskCompletionSource, long> _pending = new();
    // Monitor.Wait/Pulse need a plain object, not System.Threading.Lock.
    private readonly object _gate = new();
    private readonly Thread _thread;

    private PreciseDelay()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "precise-delay", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public Task WaitAsync(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadline = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            _pending.Enqueue(done, deadline);
            Monitor.Pulse(_gate);
        }

        return done.Task;
    }

    /// <summary>Measures how late a 1 ms delay really ends here (p50, p99 in milliseconds), for the report.</summary>
    public async Task<(double P50, double P99)> CalibrateAsync(int samples = 200)
    {
        var recorder = new LatencyRecorder();
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await WaitAsync(TimeSpan.FromMilliseconds(1));
            recorder.Add(Stopwatch.GetTimestamp() - started);
        }

        return (recorder.PercentileMs(50), recorder.PercentileMs(99));
    }

    private void Run()
    {
        while (true)
        {
            long wait;
            lock (_gate)
            {
                while (_pending.Count == 0)
                {
                    Monitor.Wait(_gate);
                }

                var now = Stopwatch.GetTimestamp();
                while (_pending.TryPeek(out var due, out var deadline) && deadline <= now)
                {
                    _pending.Dequeue();
                    due.TrySetResult();
                }

                if (_pending.Count == 0)
                {
                    continue;
                }

                _pending.TryPeek(out _, out var next);
                wait = Math.Min(next - now, MaxNap);
            }

            Sleep(wait);
        }
    }

    private static void Sleep(long stopwatchTicks)
    {
        var nanoseconds = stopwatchTicks * 1_000_000_000 / Stopwatch.Frequency;
        if (OperatingSystem.IsLinux())
        {
            var request = new TimeSpec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
            _ = NanoSleep(in request, IntPtr.Zero);
        }
        else
        {
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(in TimeSpec request, IntPtr remaining);
}
