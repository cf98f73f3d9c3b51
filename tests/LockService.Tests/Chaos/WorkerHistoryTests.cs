using LockService.Chaos.History;
using LockService.Chaos.Workload;
using Npgsql;

namespace LockService.Tests.Chaos;

/// <summary>
/// What a workload worker records is what the checker reads: a semaphore's acquire carries its limit and learns its
/// slot and token from the answer, and the writes under its lease name the slot.
/// </summary>
public sealed class WorkerHistoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("worker-history-").FullName;

    // Never connected to: these cases write no protected resource.
    private readonly NpgsqlDataSource _unused = NpgsqlDataSource.Create("Host=unused");

    [Fact]
    public async Task A_semaphore_acquire_is_recorded_with_its_limit_and_the_answers_slot_and_token()
    {
        using (var file = new HistoryFile(Path.Combine(_folder, "c0.jsonl")))
        {
            var history = new WorkerHistory("c0-2", file, new ProtectedResources(_unused));
            var answer = new SemaphoreResult(LockOutcome.Granted, "chaos-sem-0", Slot: 1, FencingToken: 7, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(3), MaxCount: 2, HolderCount: 2);

            var (outcome, _) = await history.CallAsync("acquire", "chaos-sem-0", "c0-2:1", null, TimeSpan.FromSeconds(3), () => Task.FromResult(answer), r => r.Acquired,
                r => (r.FencingToken, r.Slot, r.Outcome.ToString()), max: 2);
            await history.CallAsync<SemaphoreResult>("refresh", "chaos-sem-0", "c0-2:1", 7, TimeSpan.FromSeconds(3), () => throw new TimeoutException(), r => true,
                r => (7, 1, "unused"), slot: 1);

            Assert.Equal("ok", outcome);
        }

        var operations = Operation.FromEvents(HistoryFile.ReadAll(_folder));

        var acquire = Assert.Single(operations, o => o.Op == "acquire");
        Assert.Equal((2, 1, 7L, "ok"), (acquire.Max, acquire.Slot, acquire.Token, acquire.Outcome));
        var refresh = Assert.Single(operations, o => o.Op == "refresh");
        Assert.Equal((null, 1, 7L, "unknown", "TimeoutException"), (refresh.Max, refresh.Slot, refresh.Token, refresh.Outcome, refresh.Detail));
    }

    [Fact]
    public void A_semaphores_slots_have_fenced_resources_of_their_own()
    {
        Assert.NotEqual(ProtectedResources.SlotResource("chaos-sem-0", 0), ProtectedResources.SlotResource("chaos-sem-0", 1));
        Assert.DoesNotContain(ProtectedResources.SlotResource("chaos-sem-0", 0), Enumerable.Range(0, 100).Select(i => $"chaos-{i}"));
    }

    public void Dispose()
    {
        _unused.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
