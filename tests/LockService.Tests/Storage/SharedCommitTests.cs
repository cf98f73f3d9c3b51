using LockService.Grains;
using LockService.Testing;
using LockService.Tests.Infrastructure;
using Npgsql;
using Orleans.Storage;

namespace LockService.Tests.Storage;

/// <summary>
/// Shared commits on real PostgreSQL: writes that queue behind a commit in flight leave together as one commit; each
/// keeps its own version check; a failed commit fails all of its writes and stores none of them. The fixture's
/// <c>batched-test</c> provider sends one commit at a time, and a test holds that commit inside PostgreSQL (a lock on
/// the table or a row) so that what queues behind it is decided by the test, not by timing.
/// </summary>
public sealed class SharedCommitTests(BatchedStorageFixture fixture) : IClassFixture<BatchedStorageFixture>
{
    private const string StateName = LockGrainServices.StateName;

    [Fact]
    public async Task Fifty_lock_grants_arriving_together_take_a_handful_of_commits_not_fifty()
    {
        var statistics = fixture.LockStatistics;
        var names = Enumerable.Range(0, 50).Select(i => LockNames.Unique($"shared-{i}")).ToList();
        // Activate every grain first: their reads are not what is counted here.
        await Task.WhenAll(names.Select(name => fixture.Grains.GetGrain<ILockGrain>(name).Describe()));
        var (commitsBefore, writesBefore) = (statistics.Commits, statistics.Writes);

        List<Task<LockResult>> grants;
        await using (await fixture.HoldAllWritesAsync())
        {
            grants = names.Select(name => fixture.Grains.GetGrain<ILockGrain>(name).TryAcquire("server-1", TimeSpan.FromMinutes(1))).ToList();
            // The silo's storage sends at most 4 commits at once; the other 46 grants wait for a commit to carry them.
            await Eventually.ReturnsAsync(() => Task.FromResult(statistics.Queued), queued => queued == 46, "46 grants queued behind 4 commits in flight");
        }

        var results = await Task.WhenAll(grants);
        Assert.All(results, result => Assert.Equal(LockOutcome.Granted, result.Outcome));
        Assert.Equal(50, statistics.Writes - writesBefore);
        // 4 commits of one grant each, then the first of them to come back takes the 46 waiting ones in one more.
        Assert.Equal(5, statistics.Commits - commitsBefore);
        Assert.True(statistics.LargestCommit >= 46, $"largest commit {statistics.LargestCommit}");
    }

    [Fact]
    public async Task A_version_conflict_fails_only_its_own_write_and_the_rest_of_the_commit_lands()
    {
        var grains = await StoredGrainsAsync(10);
        var blocker = (await StoredGrainsAsync(1))[0];
        var loser = grains[5];
        // Another writer moved the loser's row on: its ETag is stale now.
        Assert.Equal(1, await fixture.SetVersionAsync(loser.Marker, 7));
        var (commitsBefore, writesBefore) = (fixture.BatchedStatistics.Commits, fixture.BatchedStatistics.Writes);

        Task blocked;
        List<Task> writes;
        await using (await fixture.HoldAllWritesAsync())
        {
            // The blocker's commit is in flight (one at a time for this provider) and waits on the table lock.
            blocked = WriteAsync(blocker, fencingToken: 2);
            writes = grains.Select(grain => WriteAsync(grain, fencingToken: 2)).ToList();
            await WaitUntilQueuedAsync(10);
        }

        await blocked;
        await SettledAsync(writes);
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => writes[5]);
        Assert.Contains("Version conflict (WriteState)", conflict.Message);
        foreach (var (grain, index) in grains.Select((grain, index) => (grain, index)).Where(pair => pair.index != 5))
        {
            await writes[index];
            Assert.Equal("2", grain.State.ETag);
            Assert.Equal(2, (await fixture.RowAsync(grain.Marker))!.Version);
        }

        // The loser's row is the other writer's, untouched; its grain's state still says what storage last accepted.
        var loserRow = (await fixture.RowAsync(loser.Marker))!;
        Assert.Equal(7, loserRow.Version);
        Assert.Equal("1", loser.State.ETag);
        Assert.Equal((2L, 11L), (fixture.BatchedStatistics.Commits - commitsBefore, fixture.BatchedStatistics.Writes - writesBefore));
    }

    [Fact]
    public async Task A_commit_that_fails_fails_every_write_in_it_and_stores_none_of_them()
    {
        var grains = await StoredGrainsAsync(10);
        var blocker = (await StoredGrainsAsync(1))[0];
        var rowsBefore = await Task.WhenAll(grains.Select(grain => fixture.RowAsync(grain.Marker)));
        // A commit takes its rows in hash order: holding the row that comes last lets the other nine be written first.
        var last = grains.Zip(rowsBefore).MaxBy(pair => pair.Second!.GrainIdHash).First;
        var failedBefore = fixture.BatchedStatistics.FailedCommits;

        Task blocked;
        List<Task> writes;
        await using (await fixture.HoldRowAsync(last.Marker))
        {
            await using (await fixture.HoldRowAsync(blocker.Marker))
            {
                blocked = WriteAsync(blocker, fencingToken: 2);
                writes = grains.Select(grain => WriteAsync(grain, fencingToken: 2)).ToList();
                await WaitUntilQueuedAsync(10);
            }

            // The blocker's commit lands; the ten leave together, and their commit waits on the held row after the
            // other nine rows are written.
            await blocked;
            await WaitUntilQueuedAsync(0);
            await Eventually.ReturnsAsync(
                () => TestDatabase.ScalarAsync<long>(fixture.ConnectionString,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"),
                count => count == 1, "the shared commit waiting on the held row");

            // Its connection dies mid-commit.
            Assert.True(await TestDatabase.ScalarAsync<bool>(fixture.ConnectionString,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"));
            await SettledAsync(writes);
        }

        foreach (var write in writes)
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => write);
        }

        Assert.Equal(1, fixture.BatchedStatistics.FailedCommits - failedBefore);
        Assert.Equal(rowsBefore, await Task.WhenAll(grains.Select(grain => fixture.RowAsync(grain.Marker))));

        // Nothing of it landed: every grain's ETag is still storage's, and the next write with it succeeds.
        foreach (var grain in grains)
        {
            Assert.Equal("1", grain.State.ETag);
            await WriteAsync(grain, fencingToken: 3);
            Assert.Equal("2", grain.State.ETag);
        }
    }

    [Fact]
    public async Task A_second_write_of_a_grain_whose_write_is_still_pending_is_refused_and_never_joins_its_commit()
    {
        var grain = (await StoredGrainsAsync(1))[0];
        var blocker = (await StoredGrainsAsync(1))[0];
        var writesBefore = fixture.BatchedStatistics.Writes;

        Task blocked, first;
        await using (await fixture.HoldAllWritesAsync())
        {
            blocked = WriteAsync(blocker, fencingToken: 2);
            first = WriteAsync(grain, fencingToken: 2);
            await WaitUntilQueuedAsync(1);

            var second = new GrainState<LockState>(State(grain.Marker, 3)) { ETag = "1", RecordExists = true };
            var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Batched.WriteStateAsync(StateName, grain.Id, second));
            Assert.Contains("before the first one finished", refusal.Message);
            Assert.Equal(1, fixture.BatchedStatistics.Queued);
        }

        await blocked;
        await first;
        Assert.Equal(2L, fixture.BatchedStatistics.Writes - writesBefore);
        Assert.Equal(2, (await fixture.RowAsync(grain.Marker))!.Version);
    }

    [Fact]
    public async Task A_version_at_the_integer_limit_wraps_to_one_through_a_shared_commit()
    {
        var grain = (await StoredGrainsAsync(1))[0];
        Assert.Equal(1, await fixture.SetVersionAsync(grain.Marker, int.MaxValue));
        grain.State.ETag = int.MaxValue.ToString();

        await WriteAsync(grain, fencingToken: 2);

        Assert.Equal("1", grain.State.ETag);
        Assert.Equal(1, (await fixture.RowAsync(grain.Marker))!.Version);
        await WriteAsync(grain, fencingToken: 3);
        Assert.Equal("2", grain.State.ETag);
    }

    [Fact]
    public async Task Clearing_goes_to_the_stock_provider_and_a_write_after_it_carries_on()
    {
        var grain = (await StoredGrainsAsync(1))[0];

        await fixture.Batched.ClearStateAsync(StateName, grain.Id, grain.State);
        Assert.Equal(("2", false), (grain.State.ETag, grain.State.RecordExists));

        await WriteAsync(grain, fencingToken: 2);
        Assert.Equal("3", grain.State.ETag);
        Assert.Equal(3, (await fixture.RowAsync(grain.Marker))!.Version);
    }

    private sealed record StoredGrain(GrainId Id, string Marker, GrainState<LockState> State);

    private static LockState State(string marker, long fencingToken) => new() { Holder = marker, LastHolder = marker, FencingToken = fencingToken };

    /// <summary>Grains with a stored row each (version 1), written one at a time.</summary>
    private async Task<List<StoredGrain>> StoredGrainsAsync(int count)
    {
        var grains = new List<StoredGrain>();
        for (var i = 0; i < count; i++)
        {
            var marker = $"holder-{Guid.NewGuid():N}";
            var grain = new StoredGrain(LockStorageKeys.For(LockNames.Unique("shared")), marker, new GrainState<LockState>(State(marker, 1)));
            await fixture.Batched.WriteStateAsync(StateName, grain.Id, grain.State);
            Assert.Equal("1", grain.State.ETag);
            grains.Add(grain);
        }

        return grains;
    }

    private Task WriteAsync(StoredGrain grain, long fencingToken)
    {
        grain.State.State = State(grain.Marker, fencingToken);
        return fixture.Batched.WriteStateAsync(StateName, grain.Id, grain.State);
    }

    private Task WaitUntilQueuedAsync(int queued) =>
        Eventually.ReturnsAsync(() => Task.FromResult(fixture.BatchedStatistics.Queued), count => count == queued, $"{queued} writes queued");

    // Waits for every write to finish, succeeded or failed, without throwing.
    private static async Task SettledAsync(IReadOnlyCollection<Task> writes)
    {
        await Task.WhenAny(Task.WhenAll(writes), Task.Delay(Eventually.DefaultDeadline));
        Assert.All(writes, write => Assert.True(write.IsCompleted, "a write never finished"));
    }
}
