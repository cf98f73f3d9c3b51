using LockService.Grains;
using LockService.Testing;

namespace LockService.Tests.Grains;

/// <summary>
/// Lazily durable release writes fall due together after a burst of releases; the silo runs only a few at a time, so
/// they drain at the database's pace instead of timing out in the connection pool.
/// </summary>
public sealed class DeferredReleaseWritesTests
{
    [Fact]
    public async Task A_burst_of_deferred_writes_runs_a_bounded_number_at_a_time_and_all_complete()
    {
        var writes = new DeferredReleaseWrites();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (inFlight, mostInFlight, completed) = (0, 0, 0);
        var sync = new object();

        var burst = Enumerable.Range(0, 5 * DeferredReleaseWrites.MaxConcurrent).Select(_ => writes.RunAsync(async () =>
        {
            lock (sync)
            {
                mostInFlight = Math.Max(mostInFlight, ++inFlight);
            }

            await gate.Task;
            lock (sync)
            {
                inFlight--;
                completed++;
            }
        })).ToArray();

        await Eventually.ReturnsAsync(() => Task.FromResult(Volatile.Read(ref inFlight)), n => n == DeferredReleaseWrites.MaxConcurrent, "the first writes to start");
        Assert.All(burst, task => Assert.False(task.IsCompleted));
        gate.SetResult();
        await Task.WhenAll(burst);

        Assert.Equal(DeferredReleaseWrites.MaxConcurrent, mostInFlight);
        Assert.Equal(burst.Length, completed);
    }

    [Fact]
    public async Task A_failed_write_gives_its_slot_back()
    {
        var writes = new DeferredReleaseWrites();
        for (var i = 0; i < DeferredReleaseWrites.MaxConcurrent + 1; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => writes.RunAsync(() => throw new InvalidOperationException("storage down")));
        }

        var ran = false;
        await writes.RunAsync(() => { ran = true; return Task.CompletedTask; });
        Assert.True(ran);
    }
}
