using LockService.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LockService.Tests.Cluster;

/// <summary>
/// A silo process dies with SIGKILL while it hosts a held lock. TestCluster's KillSiloAsync cannot model this (its
/// membership is in memory and the "killed" silo says goodbye), so these are real processes on a real database, and
/// the survivors learn of the death only from the membership protocol.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    // Long enough to outlast a slow failover on a loaded machine, so the lease is valid throughout it.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task After_SIGKILL_of_the_hosting_silo_the_holder_keeps_its_token_nobody_else_is_granted_and_expiry_still_works()
    {
        await using var cluster = await SiloProcessCluster.StartAsync("locks_failover");
        await using var otherApplication = await cluster.ConnectClientAsync();
        var name = LockNames.Unique("failover");
        var holderView = cluster.Grains.GetGrain<ILockGrain>(name);
        var contenderView = otherApplication.Grains.GetGrain<ILockGrain>(name);

        var grant = await holderView.TryAcquire("holder", Lease);
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        var host = await cluster.FindHostAsync(holderView);

        // A contender asks for the lock all along, from before the kill until well after the failover.
        var answers = new ConcurrentQueue<LockResult>();
        using var stopContender = new CancellationTokenSource();
        var contender = ContendAsync(contenderView, answers, stopContender.Token);
        await Eventually.ReturnsAsync(() => Task.FromResult(answers.Count), count => count >= 3, "the contender's first answers");

        var clock = Stopwatch.StartNew();
        host.Kill();
        var served = await Eventually.ReturnsAsync(
            () => DescribedWithinAsync(holderView, TimeSpan.FromSeconds(2)),
            description => description is not null,
            "the lock to be served again after the failover");
        var failover = clock.Elapsed;
        output.WriteLine($"SIGKILL of the silo on {host.Gateway} (pid {host.ProcessId}): the lock was served again after {failover.TotalSeconds:0.0} s");
        Assert.Equal(("holder", grant.FencingToken), (served!.Holder, served.FencingToken));

        // Refresh refuses a lapsed lease, so Renewed also proves the lease never ran out during the failover.
        var refreshed = await holderView.Refresh("holder", grant.FencingToken, Lease);
        Assert.Equal(LockOutcome.Renewed, refreshed.Outcome);
        Assert.Equal(("holder", grant.FencingToken), (refreshed.Holder, refreshed.FencingToken));

        // Let the contender get a few more answers from the new activation, then check every answer it ever got.
        var answeredBeforeRefresh = answers.Count;
        await Eventually.ReturnsAsync(() => Task.FromResult(answers.Count), count => count >= answeredBeforeRefresh + 5, "the contender's answers after the failover");
        stopContender.Cancel();
        var failedCalls = await contender;
        Assert.True(DateTimeOffset.UtcNow < refreshed.ExpiresAt, "The contender phase outlasted the lease; the test cannot tell a legitimate grant from a violation.");
        output.WriteLine($"The contender got {answers.Count} answers and {failedCalls} failed calls");
        Assert.All(answers, answer =>
        {
            Assert.Equal(LockOutcome.Busy, answer.Outcome);
            Assert.Equal(("holder", grant.FencingToken), (answer.Holder, answer.FencingToken));
        });

        // The lock now lives on a survivor, and the membership table says the killed silo is dead.
        var newHost = await cluster.FindHostAsync(holderView);
        Assert.NotSame(host, newHost);
        Assert.False(newHost.HasExited);
        await Eventually.ReturnsAsync(cluster.DeadSiloCountAsync, dead => dead == 1, "the killed silo to be Dead in the membership table");

        // The holder stops refreshing: after its short last lease the contender gets a larger token, never before.
        var last = await holderView.Refresh("holder", grant.FencingToken, ShortLease);
        Assert.Equal(LockOutcome.Renewed, last.Outcome);
        var refusals = new List<LockResult>();
        var next = await Eventually.ReturnsAsync(
            async () =>
            {
                var attempt = await contenderView.TryAcquire("contender", Lease);
                if (!attempt.Acquired)
                {
                    refusals.Add(attempt);
                }

                return attempt;
            },
            attempt => attempt.Acquired,
            "the contender to be granted the lock after the lease expired");

        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.True(next.FencingToken > grant.FencingToken, $"token {next.FencingToken} must be larger than {grant.FencingToken}");
        Assert.True(next.AcquiredAt >= last.ExpiresAt, $"granted at {next.AcquiredAt:o}, before the lease ended at {last.ExpiresAt:o}");
        Assert.All(refusals, refusal => Assert.Equal(("holder", LockOutcome.Busy), (refusal.Holder, refusal.Outcome)));
        Assert.Equal(LockOutcome.NotHolder, (await holderView.Refresh("holder", grant.FencingToken, Lease)).Outcome);
    }

    /// <summary>Asks for the lock every 100 ms; records every answer; returns how many calls failed (no answer).</summary>
    private static async Task<int> ContendAsync(ILockGrain view, ConcurrentQueue<LockResult> answers, CancellationToken stop)
    {
        var failed = 0;
        while (!stop.IsCancellationRequested)
        {
            if (await AnsweredAsync(() => view.TryAcquire("contender", Lease)) is { } answer)
            {
                answers.Enqueue(answer);
            }
            else
            {
                failed++;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return failed;
    }

    /// <summary>
    /// The lock's description, or null if no answer came within <paramref name="patience"/>. A call that went to the
    /// killed silo's gateway just before the kill waits for the client's response timeout; Describe is read-only, so
    /// giving up on it early and asking again changes nothing.
    /// </summary>
    private static async Task<LockDescription?> DescribedWithinAsync(ILockGrain view, TimeSpan patience)
    {
        try
        {
            return await view.Describe().WaitAsync(patience);
        }
        catch (Exception exception) when (exception is not LockStorageException and not ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The answer, or null while the cluster cannot answer (the call failed or timed out in the client).</summary>
    private static async Task<LockResult?> AnsweredAsync(Func<Task<LockResult>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (exception is not LockStorageException and not ArgumentException)
        {
            return null;
        }
    }
}
