using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemoryLockHandleTests(InMemoryClusterFixture fixture) : LockHandleTestCases<InMemoryClusterFixture>(fixture)
{
    [Fact]
    public async Task A_full_wait_queue_refuses_the_next_caller_at_once()
    {
        var name = LockNames.Unique("queue-full");
        await Grain(name).TryAcquire("holder", TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource();
        var waiters = Enumerable.Range(0, InMemoryClusterFixture.MaxWaiters)
            .Select(i => Grain(name).Acquire($"waiter-{i}", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), cancel.Token))
            .ToArray();
        await WaitForWaitersAsync(name, InMemoryClusterFixture.MaxWaiters);

        var error = await Assert.ThrowsAsync<LockQueueFullException>(() => Grain(name).Acquire("one-too-many", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)));
        Assert.Contains($"MaxWaiters = {InMemoryClusterFixture.MaxWaiters}", error.Message);

        cancel.Cancel();
        await Task.WhenAll(waiters.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        await WaitForWaitersAsync(name, 0);
    }
}
