using System.Collections.Concurrent;
using LockService.Client;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LockService.Tests.Client;

/// <summary>
/// The work queue client (issue #14) against every backend: claim and complete, keep-alive and loss, abandon on
/// dispose, the one lease id of a claim attempt that makes a retry find its own task, and the ProcessAsync worker loop.
/// </summary>
public abstract class WorkQueueClientTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static readonly LockOptions FastRenewal = new() { RenewInterval = TimeSpan.FromMilliseconds(200) };

    private readonly QueueCallHooks _hooks = new();

    protected TFixture Fixture { get; } = fixture;

    /// <summary>The client API, with every claim and task call recorded (and scriptable) client-side.</summary>
    protected LockProvider Locks => new(Fixture.Grains, Options.Create(new LockClientOptions()))
    {
        QueueGrainInterceptor = grain => new ScriptedQueueGrain(grain, _hooks),
        SegmentGrainInterceptor = grain => new ScriptedQueueSegmentGrain(grain, _hooks),
    };

    protected IWorkQueueGrain Grain(string name) => Fixture.Grains.GetGrain<IWorkQueueGrain>(name);

    [Fact]
    public async Task A_claim_gets_the_oldest_task_and_its_completion_counts_for_the_worker()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-claim"));
        var ids = await queue.EnqueueAsync(["first", "second"]);
        Assert.Equal(2, ids.Distinct().Count());

        await using var claim = await queue.TryClaimAsync();
        Assert.NotNull(claim);
        Assert.Equal((ids[0], "first", 1), (claim.TaskId, claim.Payload, claim.Attempt));
        Assert.True(claim.ClaimToken > 0);
        Assert.Equal(queue.Worker, claim.Worker);
        Assert.False(claim.HandleLostToken.IsCancellationRequested);

        await claim.CompleteAsync();
        await claim.DisposeAsync();
        var stats = await Grain(queue.Name).Stats();
        Assert.Equal((1L, 0L, 1L, 0L), (stats.Pending, stats.Claimed, stats.Done, stats.Dead));
        Assert.Equal(1, stats.CompletedByWorker[queue.Worker]);
        Assert.Empty(_hooks.LeaseIdsOf(nameof(IWorkQueueSegmentGrain.Abandon)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => claim.CompleteAsync().AsTask());
    }

    [Fact]
    public async Task Disposing_an_uncompleted_claim_abandons_it_once_and_the_task_comes_back_with_a_larger_token()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-dispose"));
        var id = Assert.Single(await queue.EnqueueAsync(["job"]));
        var first = (await queue.TryClaimAsync())!;
        await first.DisposeAsync();
        await first.DisposeAsync();
        first.Dispose();

        var abandon = Assert.Single(_hooks.LeaseIdsOf(nameof(IWorkQueueSegmentGrain.Abandon)));
        Assert.Equal(Assert.Single(_hooks.LeaseIdsOf(nameof(IWorkQueueGrain.Claim))), abandon);
        var task = Assert.Single((await Grain(queue.Name).List(QueueTaskStatus.Pending, null, 10)).Tasks);
        Assert.Equal(id, task.TaskId);
        Assert.Contains("disposed", task.LastError);

        await using var second = await ClaimSoonAsync(queue);
        Assert.Equal((id, 2), (second.TaskId, second.Attempt));
        Assert.True(second.ClaimToken > first.ClaimToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.ExtendAsync().AsTask());
    }

    [Fact]
    public async Task The_keep_alive_holds_the_claim_long_past_its_ttl()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-keepalive"), new LockOptions { Ttl = TimeSpan.FromSeconds(30), RenewInterval = TimeSpan.FromMilliseconds(200) });
        await queue.EnqueueAsync(["long job"]);
        await using var claim = (await queue.TryClaimAsync())!;

        // The server's clock moves 80 s in steps shorter than the TTL; after each, a renewal must land.
        for (var step = 0; step < 4; step++)
        {
            Fixture.Clock.Advance(TimeSpan.FromSeconds(20));
            var now = Fixture.Clock.GetUtcNow();
            await Eventually.ReturnsAsync(() => Task.FromResult(claim.ExpiresAt), expires => expires >= now + TimeSpan.FromSeconds(30), "a renewal after the server's clock moved");
        }

        Assert.False(claim.HandleLostToken.IsCancellationRequested);
        Assert.Null(await queue.TryClaimAsync());
        await claim.CompleteAsync();
        Assert.Equal(1, (await Grain(queue.Name).Stats()).Done);
    }

    [Fact]
    public async Task A_claim_whose_lease_expired_is_lost_and_its_late_completion_is_refused()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-expired"), FastRenewal);
        var id = Assert.Single(await queue.EnqueueAsync(["job"]));
        await using var late = (await queue.TryClaimAsync())!;

        // The server's clock jumps past the lease: its next renewal is refused, and the task is claimable again.
        Fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await Eventually.ReturnsAsync(() => Task.FromResult(late.HandleLostToken.IsCancellationRequested), lost => lost, "the claim to be lost");

        await using var current = await ClaimSoonAsync(queue);
        Assert.Equal((id, 2), (current.TaskId, current.Attempt));
        Assert.True(current.ClaimToken > late.ClaimToken);

        var refused = await Assert.ThrowsAsync<TaskLeaseLostException>(() => late.CompleteAsync().AsTask());
        Assert.Equal(id, refused.TaskId);
        await current.CompleteAsync();
        var stats = await Grain(queue.Name).Stats();
        Assert.Equal((0L, 0L, 1L), (stats.Pending, stats.Claimed, stats.Done));
    }

    [Fact]
    public async Task A_retry_after_a_lost_answer_gets_the_same_task_and_one_lease_id_serves_every_call()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-retry"));
        await queue.EnqueueAsync(["one", "two"]);
        ClaimedTask? landed = null;
        _hooks.Claim = async call =>
        {
            var result = await call();
            if (Interlocked.CompareExchange(ref landed, result, null) is null)
            {
                throw new TimeoutException("injected: the claim landed, its answer was lost");
            }

            return result;
        };

        var claim = await queue.TryClaimAsync();
        Assert.NotNull(claim);
        Assert.NotNull(landed);
        Assert.Equal((landed.TaskId, landed.ClaimToken, 1), (claim.TaskId, claim.ClaimToken, claim.Attempt));
        var stats = await Grain(queue.Name).Stats();
        Assert.Equal((1L, 1L), (stats.Pending, stats.Claimed));

        await claim.CompleteAsync();
        Assert.Equal(2, _hooks.LeaseIdsOf(nameof(IWorkQueueGrain.Claim)).Count());
        Assert.Contains(_hooks.Calls, c => c.Method == nameof(IWorkQueueSegmentGrain.Complete));
        Assert.Single(_hooks.Calls.Select(c => c.LeaseId).Distinct());
        stats = await Grain(queue.Name).Stats();
        Assert.Equal((1L, 0L, 1L), (stats.Pending, stats.Claimed, stats.Done));
    }

    [Fact]
    public async Task A_completion_whose_answer_was_lost_is_retried_and_counts_once()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-complete-retry"));
        await queue.EnqueueAsync(["job"]);
        var lost = 0;
        _hooks.Complete = async call =>
        {
            await call();
            if (Interlocked.Exchange(ref lost, 1) == 0)
            {
                throw new TimeoutException("injected: the completion landed, its answer was lost");
            }
        };

        await using var claim = (await queue.TryClaimAsync())!;
        await claim.CompleteAsync();

        Assert.Equal(2, _hooks.LeaseIdsOf(nameof(IWorkQueueSegmentGrain.Complete)).Count());
        var stats = await Grain(queue.Name).Stats();
        Assert.Equal((0L, 0L, 1L), (stats.Pending, stats.Claimed, stats.Done));
        Assert.Equal(1, stats.CompletedByWorker[queue.Worker]);
    }

    [Fact]
    public async Task A_waiting_claim_is_handed_the_task_enqueued_after_it()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-wait"));
        var waiting = queue.ClaimAsync(Patience).AsTask();
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 1, "one waiting claimer");

        var id = Assert.Single(await queue.EnqueueAsync(["arrives later"]));
        await using var claim = await waiting.WaitAsync(Patience);
        Assert.Equal((id, "arrives later"), (claim.TaskId, claim.Payload));
    }

    [Fact]
    public async Task With_nothing_pending_a_try_returns_null_and_a_timed_claim_throws_TimeoutException()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-empty"));
        Assert.Null(await queue.TryClaimAsync());
        Assert.Null(await queue.TryClaimAsync(TimeSpan.FromMilliseconds(300)));
        await Assert.ThrowsAsync<TimeoutException>(() => queue.ClaimAsync(TimeSpan.FromMilliseconds(300)).AsTask());
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 0, "no waiting claimer left");
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_task()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-cancel"));
        using var cancel = new CancellationTokenSource();
        var waiting = queue.ClaimAsync(Patience, cancel.Token).AsTask();
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 1, "one waiting claimer");

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 0, "the cancelled claimer to leave");

        var id = Assert.Single(await queue.EnqueueAsync(["job"]));
        await using var claim = await queue.TryClaimAsync();
        Assert.NotNull(claim);
        Assert.Equal((id, 1), (claim.TaskId, claim.Attempt));
    }

    [Fact]
    public async Task A_claim_cancelled_after_its_task_was_handed_out_withdraws_it_and_the_attempt_does_not_count()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-withdraw"));
        using var cancel = new CancellationTokenSource();
        ClaimedTask? landed = null;
        _hooks.Claim = async call =>
        {
            var result = await call();
            if (result is not null && Interlocked.CompareExchange(ref landed, result, null) is null)
            {
                // The task was handed out while the caller gave up: the answer never reaches it.
                cancel.Cancel();
                throw new TimeoutException("injected: the claim landed, its answer was lost");
            }

            return result;
        };
        var waiting = queue.ClaimAsync(Patience, cancel.Token).AsTask();
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 1, "one waiting claimer");

        var id = Assert.Single(await queue.EnqueueAsync(["job"]));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(id, landed?.TaskId);
        Assert.Equal(_hooks.LeaseIdsOf(nameof(IWorkQueueGrain.Claim)).First(), _hooks.LeaseIdsOf(nameof(IWorkQueueGrain.Withdraw)).First());
        Assert.Empty(_hooks.LeaseIdsOf(nameof(IWorkQueueSegmentGrain.Abandon)));
        // Pending again at once (no lease had to end), and the next claim is the same attempt with a larger token.
        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s is { Pending: 1, Claimed: 0 }, "the withdrawn task pending again");
        _hooks.Claim = null;
        await using var next = await queue.TryClaimAsync();
        Assert.NotNull(next);
        Assert.Equal((id, 1), (next.TaskId, next.Attempt));
        Assert.True(next.ClaimToken > landed!.ClaimToken);
    }

    [Fact]
    public async Task Keyed_enqueue_is_idempotent()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-keyed"));
        var first = await queue.EnqueueAsync([("payload a", "key-a"), ("payload b", "key-b")]);
        var again = await queue.EnqueueAsync([("payload a", "key-a")]);
        Assert.Equal(first[0], Assert.Single(again));
        Assert.Equal(2, (await Grain(queue.Name).Stats()).Pending);
    }

    [Fact]
    public async Task ProcessAsync_processes_every_task_once_and_stops_cleanly_when_cancelled()
    {
        const int count = 40;
        var queue = Locks.CreateQueue(LockNames.Unique("q-process"));
        var ids = await queue.EnqueueAsync(Enumerable.Range(0, count).Select(i => $"task {i}"));
        var processed = new ConcurrentDictionary<string, int>();
        var running = 0;
        var mostAtOnce = 0;
        using var stop = new CancellationTokenSource();

        var worker = queue.ProcessAsync(
            async (claim, cancellationToken) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostAtOnce, now);
                processed.AddOrUpdate(claim.TaskId, 1, (_, n) => n + 1);
                await Task.Yield();
                Interlocked.Decrement(ref running);
            },
            concurrency: 4,
            stop.Token);

        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.Done == count, $"{count} tasks done", Patience);
        stop.Cancel();
        await worker.WaitAsync(Patience);

        Assert.Equal(ids.Order(), processed.Keys.Order());
        Assert.All(processed.Values, n => Assert.Equal(1, n));
        Assert.InRange(mostAtOnce, 1, 4);
        // The loops' waiting claims were cancelled with them: the queue lets them go.
        var stats = await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.WaitingClaimers == 0, "the stopped loops' claims to leave the queue");
        Assert.Equal((0L, 0L, (long)count, 0L), (stats.Pending, stats.Claimed, stats.Done, stats.Dead));
        Assert.Equal(count, stats.CompletedByWorker[queue.Worker]);
    }

    [Fact]
    public async Task ProcessAsync_abandons_a_failed_task_with_the_exception_message_and_completes_it_on_a_later_attempt()
    {
        var queue = Locks.CreateQueue(LockNames.Unique("q-process-fail"));
        var id = Assert.Single(await queue.EnqueueAsync(["flaky"]));
        var attempts = new ConcurrentQueue<int>();
        string? errorSeen = null;
        using var stop = new CancellationTokenSource();

        var worker = queue.ProcessAsync(
            async (claim, _) =>
            {
                attempts.Enqueue(claim.Attempt);
                if (claim.Attempt == 1)
                {
                    throw new InvalidOperationException("flaky failed on its first attempt");
                }

                // The first attempt's error is the task's last error while the second runs.
                var page = await Grain(queue.Name).List(QueueTaskStatus.Claimed, null, 10);
                errorSeen = page.Tasks.FirstOrDefault()?.LastError;
            },
            concurrency: 1,
            stop.Token);

        await Eventually.ReturnsAsync(() => Grain(queue.Name).Stats(), s => s.Done == 1, "the task done", Patience);
        stop.Cancel();
        await worker.WaitAsync(Patience);

        Assert.Equal([1, 2], attempts);
        Assert.Contains("flaky failed on its first attempt", errorSeen);
        Assert.Equal(id, Assert.Single((await Grain(queue.Name).List(QueueTaskStatus.Done, null, 10)).Tasks).TaskId);
    }

    [Fact]
    public async Task Invalid_names_payloads_waits_and_concurrency_are_rejected_before_any_call()
    {
        Assert.Contains("queue name", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateQueue("")).Message);
        Assert.Contains("Ttl", Assert.ThrowsAny<ArgumentException>(() => Locks.CreateQueue("x", new LockOptions { Ttl = TimeSpan.Zero })).Message);
        var queue = Locks.CreateQueue(LockNames.Unique("q-bad"));
        Assert.Contains("at least one task", (await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.EnqueueAsync(Array.Empty<string>()))).Message);
        Assert.Contains("payload", (await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.EnqueueAsync([""]))).Message);
        Assert.Contains($"{QueueArguments.MaxPayloadBytes}", (await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.EnqueueAsync([new string('x', QueueArguments.MaxPayloadBytes + 1)]))).Message);
        Assert.Contains($"{QueueArguments.MaxBatchSize}", (await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.EnqueueAsync(Enumerable.Repeat("x", QueueArguments.MaxBatchSize + 1)))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = queue.TryClaimAsync(TimeSpan.FromSeconds(-2)); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = queue.ProcessAsync((_, _) => Task.CompletedTask, concurrency: 0); });
        Assert.Empty(_hooks.Calls);
        Assert.Equal(0, (await Grain(queue.Name).Stats()).Pending);
    }

    /// <summary>A task that returned to the queue (abandoned, expired) is claimable once the queue has taken it back.</summary>
    private static async Task<TaskClaim> ClaimSoonAsync(WorkQueue queue) =>
        (await Eventually.ReturnsAsync(() => queue.TryClaimAsync().AsTask(), claim => claim is not null, $"a task of queue {queue.Name} to be claimable"))!;

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
