using LockService.Chaos.Workload;

namespace LockService.Tests.Queues;

/// <summary>The judge of the queue worker process test finds each kind of violation it exists for, and passes a clean run.</summary>
public sealed class QueueWorkerLogsTests
{
    private static readonly string[] TwoTasks = ["0-0", "0-1"];

    [Fact]
    public void A_clean_run_with_a_lost_claim_and_a_killed_worker_passes()
    {
        var logs = new[]
        {
            // w1 loses 0-0 (its lease ended) and is killed later while idle; w2 completes 0-0 after the loss.
            new QueueWorkerLog("w1", ["start 0-0 1 1 100", "lost 0-0 1 150", "start 0-1 1 1 200", "end 0-1 1 210", "done 0-1 1 220"], KilledAtMs: 500),
            // w2 is killed after the end of its work and before it logged the completion that landed.
            new QueueWorkerLog("w2", ["start 0-0 2 2 300", "end 0-0 2 310", "do"], KilledAtMs: 320),
        };

        Assert.Empty(QueueWorkerLogs.Check(TwoTasks, Stats(done: 2, ("w1", 1), ("w2", 1)), logs));
    }

    [Fact]
    public void Two_live_claims_of_one_task_are_a_violation()
    {
        var logs = new[]
        {
            new QueueWorkerLog("w1", ["start 0-0 1 1 100", "end 0-0 1 400", "refused 0-0 1 410", "start 0-1 1 1 500", "end 0-1 1 510", "done 0-1 1 520"], null),
            new QueueWorkerLog("w2", ["start 0-0 2 2 300", "end 0-0 2 310", "done 0-0 2 320"], null),
        };

        var violation = Assert.Single(QueueWorkerLogs.Check(TwoTasks, Stats(done: 2, ("w1", 1), ("w2", 1)), logs));
        Assert.Contains("task 0-0: claim token 2 by w2 started at 300 while token 1 by w1 was still live (until 400)", violation);
    }

    [Fact]
    public void A_second_completion_a_lost_task_and_counts_that_disagree_are_violations()
    {
        var logs = new[]
        {
            new QueueWorkerLog("w1", ["start 0-0 1 1 100", "end 0-0 1 110", "done 0-0 1 120", "start 0-0 2 2 130", "end 0-0 2 140", "done 0-0 2 150"], null),
        };

        var violations = QueueWorkerLogs.Check(TwoTasks, Stats(done: 1, ("w1", 1)), logs);
        Assert.Contains(violations, v => v.Contains("task 0-0 was completed 2 times"));
        Assert.Contains(violations, v => v.Contains("task 0-1 was never claimed"));
        Assert.Contains(violations, v => v.Contains("expected 2 done"));
        Assert.Contains(violations, v => v.Contains("worker w1: the queue counts 1 completions, its log shows 2"));
    }

    [Fact]
    public void A_completion_from_a_stale_claim_and_a_task_left_unfinished_are_violations()
    {
        var logs = new[]
        {
            // w1 lost its claim of 0-0 (w2's claim with token 2 came after), yet its completion was accepted.
            new QueueWorkerLog("w1", ["start 0-0 1 1 100", "lost 0-0 1 150", "end 0-0 1 160", "done 0-0 1 170"], null),
            // The current claim of 0-0 was refused, and 0-1's only claim failed: nobody finished 0-1.
            new QueueWorkerLog("w2", ["start 0-0 2 2 200", "end 0-0 2 210", "refused 0-0 2 220", "start 0-1 1 1 300", "end 0-1 1 310", "failed 0-1 1 320"], null),
        };

        var violations = QueueWorkerLogs.Check(TwoTasks, Stats(done: 1, ("w1", 1)), logs);

        Assert.Contains(violations, v => v.Contains("task 0-0 was completed by claim token 1, but claimed again later with token 2"));
        Assert.Contains(violations, v => v.Contains("task 0-1: no claim completed it (last claim token 1 by w2 ended with failed)"));
        Assert.Contains(violations, v => v.Contains("expected 2 done"));
    }

    private static QueueStats Stats(long done, params (string Worker, long Completed)[] workers) =>
        new("q", Pending: 0, Claimed: 0, Done: done, Dead: 0, WaitingClaimers: 0, workers.ToDictionary(w => w.Worker, w => w.Completed));
}
