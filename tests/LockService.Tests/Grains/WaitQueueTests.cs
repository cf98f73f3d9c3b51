using LockService.Leases;

namespace LockService.Tests.Grains;

/// <summary>
/// The wait queue serves every call of a lock, so its work per call must not grow with the queue: 10,000 waiters
/// (the default bound) must not cost 10,000 steps per call. The queue counts the waiters it looks at.
/// </summary>
public sealed class WaitQueueTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    [Fact]
    public void Detached_waiters_keep_their_place_and_are_passed_over_until_they_listen_again()
    {
        var queue = new WaitQueue<LockResult>();
        var first = queue.Enqueue("first", Ttl);
        var second = queue.Enqueue("second", Ttl);

        queue.Detach(first);
        Assert.Same(second, queue.NextListening());

        queue.Listen(first);
        Assert.Same(first, queue.NextListening());

        queue.Detach(first);
        queue.Detach(second);
        Assert.Null(queue.NextListening());
        queue.DropDetached(TimeSpan.FromMinutes(1));
        Assert.Equal(2, queue.Count);

        queue.Listen(second);
        queue.DropDetached(TimeSpan.Zero);
        Assert.Equal(1, queue.Count);
        Assert.Same(second, queue.NextListening());
        Assert.True(first.Outcome.Task.IsCompleted);
        Assert.False(queue.TryGet("first", out _));
    }

    [Fact]
    public void With_thousands_of_detached_waiters_ahead_each_call_costs_amortized_constant_work()
    {
        const int waiting = 10_000;
        var queue = new WaitQueue<LockResult>();
        var waiters = Enumerable.Range(0, waiting).Select(i => queue.Enqueue($"owner-{i}", Ttl)).ToArray();
        foreach (var waiter in waiters[..^1])
        {
            queue.Detach(waiter);
        }

        // What every call of a lock with that queue does: drop the long-detached, find the next listening waiter.
        for (var call = 0; call < waiting; call++)
        {
            queue.DropDetached(TimeSpan.FromMinutes(1));
            Assert.Same(waiters[^1], queue.NextListening());
        }

        // Callers come back and leave again: each change is paid for once, not on every later call.
        for (var i = 0; i < waiting - 1; i++)
        {
            queue.Listen(waiters[i]);
            Assert.Same(waiters[i], queue.NextListening());
            queue.Detach(waiters[i]);
            queue.DropDetached(TimeSpan.FromMinutes(1));
        }

        Assert.Same(waiters[^1], queue.NextListening());
        Assert.True(queue.WaitersVisited <= 10L * waiting, $"{queue.WaitersVisited} waiters looked at for {3 * waiting} calls");
    }
}
