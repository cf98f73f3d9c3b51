using LockService.Queues;
using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Queues;

/// <summary>
/// The work-queue rules, run against every backend through a real Orleans client. Subclasses bind them to a cluster.
/// Expiry is driven by the cluster's fake lock clock, never by sleeping.
/// </summary>
public abstract class WorkQueueGrainTestCases<TFixture>(TFixture fixture)
    where TFixture : LockClusterFixture
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    protected static readonly TimeSpan LongWait = TimeSpan.FromMinutes(2);

    protected TFixture Fixture { get; } = fixture;

    protected IWorkQueueGrain Queue(string name) => Fixture.Grains.GetGrain<IWorkQueueGrain>(name);

    protected IWorkQueueSegmentGrain SegmentOf(string name, string taskId) => WorkQueueTaskIds.SegmentOf(Fixture.Grains, name, taskId);

    protected static NewTask[] Payloads(params string[] payloads) => payloads.Select(payload => new NewTask(payload)).ToArray();

    [Fact]
    public async Task A_claimed_task_is_completed_once_by_its_lease()
    {
        var name = LockNames.Unique("q-claim");
        var ids = await Queue(name).Enqueue(Payloads("first", "second"));
        Assert.Equal(["0-0", "0-1"], ids);
        var leaseId = LeaseIds.New();

        var claimed = await Queue(name).Claim("worker-1", leaseId, Ttl, TimeSpan.Zero);

        Assert.NotNull(claimed);
        Assert.Equal(("0-0", "first", 1L, 1), (claimed.TaskId, claimed.Payload, claimed.ClaimToken, claimed.Attempt));
        Assert.Equal(Fixture.Clock.GetUtcNow() + Ttl, claimed.ExpiresAt);
        var claimedStats = await Queue(name).Stats();
        Assert.Equal((1L, 1L, 0L, 0L), (claimedStats.Pending, claimedStats.Claimed, claimedStats.Done, claimedStats.Dead));

        await SegmentOf(name, claimed.TaskId).Complete(claimed.TaskId, leaseId);
        // The same lease completing again (a retry after a lost answer) succeeds and changes nothing.
        await SegmentOf(name, claimed.TaskId).Complete(claimed.TaskId, leaseId);

        var stats = await Queue(name).Stats();
        Assert.Equal((1L, 0L, 1L, 0L), (stats.Pending, stats.Claimed, stats.Done, stats.Dead));
        Assert.Equal(1, stats.CompletedByWorker["worker-1"]);
        var next = await Queue(name).Claim("worker-2", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal("0-1", next?.TaskId);
        Assert.Null(await Queue(name).Claim("worker-3", LeaseIds.New(), Ttl, TimeSpan.Zero));
    }

    [Fact]
    public async Task Concurrent_claimers_never_get_the_same_task()
    {
        var name = LockNames.Unique("q-concurrent");
        await Queue(name).Enqueue(Enumerable.Range(0, 300).Select(i => new NewTask($"task-{i}")).ToList());

        var claims = await Task.WhenAll(Enumerable.Range(0, 320).Select(i => Queue(name).Claim($"worker-{i}", LeaseIds.New(), Ttl, TimeSpan.Zero)));

        var claimed = claims.Where(claim => claim is not null).Select(claim => claim!).ToList();
        Assert.Equal(300, claimed.Count);
        Assert.Equal(300, claimed.Select(claim => claim.TaskId).Distinct().Count());
        Assert.Equal(300, claimed.Select(claim => claim.Payload).Distinct().Count());
        Assert.All(claimed, claim => Assert.Equal(1L, claim.ClaimToken));
        var stats = await Queue(name).Stats();
        Assert.Equal((0L, 300L), (stats.Pending, stats.Claimed));
    }

    [Fact]
    public async Task An_expired_claim_returns_its_task_and_its_late_completion_is_refused()
    {
        var name = LockNames.Unique("q-expiry");
        await Queue(name).Enqueue(Payloads("job"));
        var slowLease = LeaseIds.New();
        var slow = await Queue(name).Claim("slow", slowLease, TimeSpan.FromSeconds(10), TimeSpan.Zero);
        Assert.Null(await Queue(name).Claim("other", LeaseIds.New(), Ttl, TimeSpan.Zero));

        Fixture.Clock.Advance(TimeSpan.FromSeconds(11));

        // Expiry is judged on the call: the late worker is refused even before anyone claims the task again.
        var early = await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, slow!.TaskId).Complete(slow.TaskId, slowLease));
        Assert.Contains("expired", early.Message);
        var fastLease = LeaseIds.New();
        var fast = await Queue(name).Claim("fast", fastLease, Ttl, TimeSpan.Zero);
        Assert.Equal((slow!.TaskId, 2L, 2), (fast?.TaskId, fast?.ClaimToken, fast?.Attempt));
        Assert.Contains("expired", (await Queue(name).List(QueueTaskStatus.Claimed, null, 10)).Tasks.Single().LastError);

        var late = await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, slow.TaskId).Complete(slow.TaskId, slowLease));
        Assert.Contains("do not report it done", late.Message);
        await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, slow.TaskId).Extend(slow.TaskId, slowLease, Ttl));
        Assert.False(await SegmentOf(name, slow.TaskId).Abandon(slow.TaskId, slowLease, "too late"));

        await SegmentOf(name, fast!.TaskId).Complete(fast.TaskId, fastLease);
        var stats = await Queue(name).Stats();
        Assert.Equal((0L, 0L, 1L), (stats.Pending, stats.Claimed, stats.Done));
        Assert.Equal(["fast"], stats.CompletedByWorker.Keys);
    }

    [Fact]
    public async Task An_extended_claim_outlives_its_first_expiry()
    {
        var name = LockNames.Unique("q-extend");
        await Queue(name).Enqueue(Payloads("long job"));
        var leaseId = LeaseIds.New();
        var claimed = await Queue(name).Claim("worker", leaseId, TimeSpan.FromSeconds(10), TimeSpan.Zero);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(8));

        var expiresAt = await SegmentOf(name, claimed!.TaskId).Extend(claimed.TaskId, leaseId, TimeSpan.FromMinutes(1));
        Assert.Equal(Fixture.Clock.GetUtcNow() + TimeSpan.FromMinutes(1), expiresAt);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Null(await Queue(name).Claim("other", LeaseIds.New(), Ttl, TimeSpan.Zero));
        await SegmentOf(name, claimed.TaskId).Complete(claimed.TaskId, leaseId);
        Assert.Equal(1L, (await Queue(name).Stats()).Done);
    }

    [Fact]
    public async Task A_task_goes_dead_after_its_last_attempt_and_retry_brings_it_back()
    {
        var name = LockNames.Unique("q-dead");
        await Queue(name).Enqueue(Payloads("poison"));
        string taskId = "";
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var leaseId = LeaseIds.New();
            var claimed = await Queue(name).Claim("worker", leaseId, Ttl, TimeSpan.Zero);
            Assert.Equal((attempt, (long)attempt), (claimed!.Attempt, claimed.ClaimToken));
            taskId = claimed.TaskId;
            if (attempt < 5)
            {
                Assert.True(await SegmentOf(name, taskId).Abandon(taskId, leaseId, $"failure {attempt}"));
                Assert.False(await SegmentOf(name, taskId).Abandon(taskId, leaseId, "again"));
            }
            else
            {
                // The last attempt's claim expires instead: expiry counts as a failed attempt too.
                Fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            }
        }

        Assert.Null(await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero));
        var stats = await Queue(name).Stats();
        Assert.Equal((0L, 0L, 1L), (stats.Pending, stats.Claimed, stats.Dead));
        var dead = Assert.Single((await Queue(name).List(QueueTaskStatus.Dead, null, 10)).Tasks);
        Assert.Equal((taskId, "poison", 5, 5L), (dead.TaskId, dead.Payload, dead.Attempts, dead.ClaimToken));
        Assert.Contains("expired", dead.LastError);

        var retried = await Queue(name).Retry(taskId);
        Assert.Equal((QueueTaskStatus.Pending, 0), (retried.Status, retried.Attempts));
        var again = await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal((taskId, 1, 6L), (again?.TaskId, again?.Attempt, again?.ClaimToken));
        Assert.Contains("not dead", (await Assert.ThrowsAnyAsync<ArgumentException>(() => Queue(name).Retry(taskId))).Message);
    }

    [Fact]
    public async Task Enqueue_with_a_known_key_returns_the_existing_task()
    {
        var name = LockNames.Unique("q-keys");
        var first = await Queue(name).Enqueue([new NewTask("a", "key-a"), new NewTask("b", "key-b")]);
        var second = await Queue(name).Enqueue([new NewTask("a again", "key-a"), new NewTask("c", "key-c"), new NewTask("no key")]);

        Assert.Equal(first[0], second[0]);
        Assert.Equal(["0-0", "0-1", "0-2", "0-3"], first.Concat(second.Skip(1)));
        var page = await Queue(name).List(null, null, 10);
        Assert.Equal(["a", "b", "c", "no key"], page.Tasks.Select(task => task.Payload));
        Assert.Equal(["key-a", "key-b", "key-c", null], page.Tasks.Select(task => task.Key));
        Assert.Equal(4L, (await Queue(name).Stats()).Pending);
    }

    [Fact]
    public async Task The_same_lease_id_claiming_again_gets_the_same_claim()
    {
        var name = LockNames.Unique("q-claim-retry");
        await Queue(name).Enqueue(Payloads("one", "two"));
        var leaseId = LeaseIds.New();

        var first = await Queue(name).Claim("worker", leaseId, Ttl, TimeSpan.Zero);
        var again = await Queue(name).Claim("worker", leaseId, Ttl, LongWait);

        Assert.Equal(first, again);
        var stats = await Queue(name).Stats();
        Assert.Equal((1L, 1L), (stats.Pending, stats.Claimed));
    }

    [Fact]
    public async Task Waiting_claimers_are_handed_tasks_first_come_first_served_as_they_arrive()
    {
        var name = LockNames.Unique("q-fifo");
        var waiting = new List<Task<ClaimedTask?>>();
        for (var i = 0; i < 3; i++)
        {
            waiting.Add(Queue(name).Claim($"waiter-{i}", LeaseIds.New(), Ttl, LongWait));
            var queued = i + 1;
            await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == queued, $"{queued} waiting claimer(s)");
        }

        for (var i = 0; i < 3; i++)
        {
            var id = (await Queue(name).Enqueue(Payloads($"task-{i}"))).Single();
            var served = await Task.WhenAny(waiting).WaitAsync(LongWait);
            Assert.Same(waiting[0], served);
            Assert.Equal((id, $"task-{i}"), ((await served)!.TaskId, (await served)!.Payload));
            waiting.RemoveAt(0);
        }

        Assert.Equal(0, (await Queue(name).Stats()).WaitingClaimers);
    }

    [Fact]
    public async Task A_waiting_claimer_gets_the_task_of_an_expired_or_abandoned_claim()
    {
        var name = LockNames.Unique("q-wait-return");
        await Queue(name).Enqueue(Payloads("a", "b"));
        var first = await Queue(name).Claim("first", LeaseIds.New(), TimeSpan.FromSeconds(10), TimeSpan.Zero);
        var secondLease = LeaseIds.New();
        var second = await Queue(name).Claim("second", secondLease, Ttl, TimeSpan.Zero);
        var waiting = Queue(name).Claim("waiter", LeaseIds.New(), Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == 1, "the waiting claimer");

        // No call touches the queue: the segment's expiry check notices the ended claim and the directory hands it on.
        Fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        var handed = await waiting.WaitAsync(LongWait);
        Assert.Equal((first!.TaskId, 2L), (handed?.TaskId, handed?.ClaimToken));

        var next = Queue(name).Claim("next", LeaseIds.New(), Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == 1, "the next waiting claimer");
        Assert.True(await SegmentOf(name, second!.TaskId).Abandon(second.TaskId, secondLease, "worker shutting down"));
        var afterAbandon = await next.WaitAsync(LongWait);
        Assert.Equal((second.TaskId, 2), (afterAbandon?.TaskId, afterAbandon?.Attempt));
    }

    [Fact]
    public async Task A_wait_that_times_out_returns_nothing_and_leaves_the_queue()
    {
        var name = LockNames.Unique("q-wait-timeout");
        Assert.Null(await Queue(name).Claim("waiter", LeaseIds.New(), Ttl, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, (await Queue(name).Stats()).WaitingClaimers);

        await Queue(name).Enqueue(Payloads("later"));
        Assert.Equal("later", (await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero))?.Payload);
    }

    [Fact]
    public async Task Withdraw_takes_a_waiting_claimer_out_of_the_queue_and_its_wait_returns_nothing()
    {
        var name = LockNames.Unique("q-withdraw-wait");
        var leaseId = LeaseIds.New();
        var waiting = Queue(name).Claim("gave-up", leaseId, Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == 1, "the waiting claimer");

        Assert.True(await Queue(name).Withdraw(leaseId));

        Assert.Null(await waiting.WaitAsync(LongWait));
        Assert.Equal(0, (await Queue(name).Stats()).WaitingClaimers);
        // Idempotent: nothing left to withdraw, and nothing changes.
        Assert.False(await Queue(name).Withdraw(leaseId));
        var id = Assert.Single(await Queue(name).Enqueue(Payloads("job")));
        var claimed = await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal((id, 1L, 1), (claimed?.TaskId, claimed?.ClaimToken, claimed?.Attempt));
    }

    [Fact]
    public async Task Withdraw_returns_a_claimed_task_at_once_without_counting_an_attempt_and_is_idempotent()
    {
        var name = LockNames.Unique("q-withdraw-claim");
        await Queue(name).Enqueue(Payloads("job"));
        var lostLease = LeaseIds.New();
        // Claimed, and (as far as the claimer knows) the answer was lost: it gives up and withdraws.
        var lost = await Queue(name).Claim("gave-up", lostLease, Ttl, TimeSpan.Zero);
        var waiting = Queue(name).Claim("waiter", LeaseIds.New(), Ttl, LongWait);
        await Eventually.ReturnsAsync(() => Queue(name).Stats(), stats => stats.WaitingClaimers == 1, "the waiting claimer");

        Assert.True(await Queue(name).Withdraw(lostLease));

        // Handed on at once (the fake clock never moved, so no lease ended): the same task, the same attempt, a larger token.
        var handed = await waiting.WaitAsync(LongWait);
        Assert.Equal((lost!.TaskId, 2L, 1), (handed?.TaskId, handed?.ClaimToken, handed?.Attempt));
        var refused = await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, lost.TaskId).Complete(lost.TaskId, lostLease));
        Assert.Contains("another claim", refused.Message);
        Assert.False(await Queue(name).Withdraw(lostLease));
        var stats = await Queue(name).Stats();
        Assert.Equal((0L, 1L, 0L), (stats.Pending, stats.Claimed, stats.Done));
        Assert.Equal(1, (await Queue(name).List(QueueTaskStatus.Claimed, null, 10)).Tasks.Single().Attempts);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Queue(name).Withdraw("short"));
    }

    [Fact]
    public async Task A_withdrawn_task_with_nobody_waiting_is_pending_for_the_next_claim()
    {
        var name = LockNames.Unique("q-withdraw-pending");
        await Queue(name).Enqueue(Payloads("job"));
        var lostLease = LeaseIds.New();
        var lost = await Queue(name).Claim("gave-up", lostLease, Ttl, TimeSpan.Zero);
        Assert.Null(await Queue(name).Claim("other", LeaseIds.New(), Ttl, TimeSpan.Zero));

        Assert.True(await Queue(name).Withdraw(lostLease));

        var stats = await Queue(name).Stats();
        Assert.Equal((1L, 0L), (stats.Pending, stats.Claimed));
        var next = await Queue(name).Claim("next", LeaseIds.New(), Ttl, TimeSpan.Zero);
        Assert.Equal((lost!.TaskId, 2L, 1), (next?.TaskId, next?.ClaimToken, next?.Attempt));
    }

    [Fact]
    public async Task Tasks_span_segments_list_pages_across_them_and_a_finished_segment_retires()
    {
        var name = LockNames.Unique("q-segments");
        var count = 2 * WorkQueueOptions.DefaultSegmentCapacity + 10;
        var ids = await Queue(name).Enqueue(Enumerable.Range(0, count).Select(i => new NewTask($"task-{i}", $"key-{i}")).ToList());
        Assert.Equal("1-0", ids[WorkQueueOptions.DefaultSegmentCapacity]);
        Assert.Equal($"2-9", ids[^1]);

        var listed = new List<QueueTaskInfo>();
        string? after = null;
        do
        {
            var page = await Queue(name).List(QueueTaskStatus.Pending, after, QueueArguments.MaxPageSize);
            listed.AddRange(page.Tasks);
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(ids, listed.Select(task => task.TaskId));

        // Finish the oldest segment: it retires, its counts stay, and the queue goes on from the next one.
        for (var i = 0; i < WorkQueueOptions.DefaultSegmentCapacity; i++)
        {
            var leaseId = LeaseIds.New();
            var claimed = await Queue(name).Claim($"worker-{i % 3}", leaseId, Ttl, TimeSpan.Zero);
            Assert.Equal(ids[i], claimed?.TaskId);
            await SegmentOf(name, claimed!.TaskId).Complete(claimed.TaskId, leaseId);
        }

        await Eventually.ReturnsAsync(() => Queue(name).List(null, null, 1), page => page.Tasks.Single().TaskId == "1-0", "the first segment to retire");
        var stats = await Queue(name).Stats();
        Assert.Equal((count - (long)WorkQueueOptions.DefaultSegmentCapacity, (long)WorkQueueOptions.DefaultSegmentCapacity), (stats.Pending, stats.Done));
        Assert.Equal(WorkQueueOptions.DefaultSegmentCapacity, stats.CompletedByWorker.Values.Sum());
        Assert.Contains("not dead", (await Assert.ThrowsAnyAsync<ArgumentException>(() => Queue(name).Retry(ids[0]))).Message);
    }

    [Fact]
    public async Task Purge_removes_every_task_and_task_ids_are_never_reused()
    {
        var name = LockNames.Unique("q-purge");
        await Queue(name).Enqueue(Payloads("a", "b", "c"));
        var leaseId = LeaseIds.New();
        var claimed = await Queue(name).Claim("worker", leaseId, Ttl, TimeSpan.Zero);

        Assert.Equal(3L, await Queue(name).Purge());

        var stats = await Queue(name).Stats();
        Assert.Equal((0L, 0L, 0L, 0L), (stats.Pending, stats.Claimed, stats.Done, stats.Dead));
        Assert.Contains("purged", (await Assert.ThrowsAnyAsync<ArgumentException>(() => SegmentOf(name, claimed!.TaskId).Complete(claimed.TaskId, leaseId))).Message);
        Assert.Equal(["1-0"], await Queue(name).Enqueue(Payloads("d")));
        Assert.Equal(("1-0", 1L), ((await Queue(name).Claim("worker", LeaseIds.New(), Ttl, TimeSpan.Zero))?.TaskId, (await Queue(name).Stats()).Claimed));
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_rule_and_changes_nothing()
    {
        var name = LockNames.Unique("q-bad");
        var queue = Queue(name);
        var leaseId = LeaseIds.New();

        async Task Refused(string rule, Func<Task> call) => Assert.Contains(rule, (await Assert.ThrowsAnyAsync<ArgumentException>(call)).Message);

        await Refused("Invalid payload: it must not be empty", () => queue.Enqueue([new NewTask("")]));
        await Refused($"at most {QueueArguments.MaxPayloadBytes} bytes", () => queue.Enqueue([new NewTask(new string('x', QueueArguments.MaxPayloadBytes + 1))]));
        // Orleans carries strings as UTF-8, so an unpaired surrogate would arrive as U+FFFD: the client library refuses it first.
        Assert.Contains("unpaired surrogate", Assert.Throws<ArgumentException>(() => QueueArguments.ValidatePayload("bad \ud800 text")).Message);
        await Refused("enqueue at least one task", () => queue.Enqueue([]));
        await Refused($"at most {QueueArguments.MaxBatchSize} tasks", () => queue.Enqueue(Enumerable.Range(0, QueueArguments.MaxBatchSize + 1).Select(i => new NewTask("x")).ToList()));
        await Refused("appears twice", () => queue.Enqueue([new NewTask("a", "k"), new NewTask("b", "k")]));
        await Refused("Invalid ttl", () => queue.Claim("worker", leaseId, TimeSpan.Zero, TimeSpan.Zero));
        await Refused("Invalid ttl", () => queue.Claim("worker", leaseId, TimeSpan.FromDays(400), TimeSpan.Zero));
        await Refused("Invalid timeout", () => queue.Claim("worker", leaseId, Ttl, TimeSpan.FromHours(1)));
        await Refused("Invalid lease id", () => queue.Claim("worker", "short", Ttl, TimeSpan.Zero));
        await Refused("Invalid worker", () => queue.Claim(" ", leaseId, Ttl, TimeSpan.Zero));
        await Refused("Invalid limit", () => queue.List(null, null, 0));
        await Refused("Invalid task id", () => queue.Retry("not-a-task"));
        await Refused("Unknown task", () => queue.Retry("7-0"));
        await Refused("NUL", () => Queue("bad\0name").Enqueue(Payloads("a")));

        // The task calls, on a queue with one task: unknown tasks and queues, malformed ids, wrong leases.
        var ids = await queue.Enqueue(Payloads("only"));
        await Refused("Unknown task", () => SegmentOf(name, "0-5").Complete("0-5", leaseId));
        await Refused("Unknown task", () => SegmentOf(LockNames.Unique("q-missing"), "0-0").Complete("0-0", leaseId));
        await Refused("Invalid task id", () => { SegmentOf(name, "0-x"); return Task.CompletedTask; });
        await Refused("Invalid task id", () => Fixture.Grains.GetGrain<IWorkQueueSegmentGrain>(WorkQueueTaskIds.SegmentKey(name, 0)).Complete("1-0", leaseId));
        await Refused("Invalid error", () => SegmentOf(name, ids[0]).Abandon(ids[0], leaseId, new string('e', QueueArguments.MaxErrorLength + 1)));
        await Refused("Invalid lease id", () => SegmentOf(name, ids[0]).Complete(ids[0], "bad/id"));
        var notClaimed = await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, ids[0]).Complete(ids[0], leaseId));
        Assert.Contains("not been claimed", notClaimed.Message);
        var claimed = await queue.Claim("worker", leaseId, Ttl, TimeSpan.Zero);
        await Assert.ThrowsAsync<TaskLeaseLostException>(() => SegmentOf(name, ids[0]).Complete(ids[0], LeaseIds.New()));
        await Refused("Invalid ttl", () => SegmentOf(name, ids[0]).Extend(ids[0], leaseId, TimeSpan.Zero));

        // Nothing changed, and the queue keeps serving.
        var stats = await queue.Stats();
        Assert.Equal((0L, 1L, 0L), (stats.Pending, stats.Claimed, stats.Done));
        Assert.Equal((ids[0], 1L), (claimed?.TaskId, claimed?.ClaimToken));
        await SegmentOf(name, ids[0]).Complete(ids[0], leaseId);
        Assert.Equal(1L, (await queue.Stats()).Done);
    }
}
