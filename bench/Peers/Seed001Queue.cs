using System.Text.Json;
using LockService.Bench.Hosting;

namespace LockService.Bench.Peers;

/// <summary>
/// <c>seed-001</c>: the system of seed 001 itself (bench/seed001/app.py): three FastAPI workers behind the same nginx
/// setup, each grabbing a task with <c>SELECT ... FOR UPDATE SKIP LOCKED</c> and completing it in the same transaction
/// (one request per task: <c>POST /grab-task</c>). Its "lease" is the open transaction, so there is nothing to complete
/// afterwards and nothing that survives the worker: the figure to beat, not a like-for-like design.
/// </summary>
internal sealed class Seed001Queue(HttpClient http, IReadOnlyList<Uri> workers) : IBenchQueue
{
    public string Name => "seed-001";

    public IReadOnlyDictionary<string, string> Configuration => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["kind"] = "seed 001 rebuilt from its README: FastAPI + psycopg2 (Debian packages), SELECT ... FOR UPDATE SKIP LOCKED, task completed in the grab's transaction",
        ["workers"] = $"{workers.Count} uvicorn processes (one each, as the seed's containers), psycopg2 ThreadedConnectionPool up to 40 per worker",
        ["front"] = "nginx round-robin (scripts/lib/nginx.sh, the same settings as http-3's)",
        ["client"] = "HttpClient (HTTP/1.1 keep-alive): POST /grab-task, one request per task",
    };

    public async Task FillAsync(int pending)
    {
        using (var reset = await http.DeleteAsync("/reset-tasks"))
        {
            reset.EnsureSuccessStatusCode();
        }

        await BenchHttp.PostExpectingAsync(http, $"/create-tasks?count={pending}", null, System.Net.HttpStatusCode.OK);
    }

    public async Task<IBenchTaskClaim?> ClaimAsync()
    {
        var body = await BenchHttp.PostExpectingAsync(http, "/grab-task", null, System.Net.HttpStatusCode.OK);
        return body.TryGetProperty("task_id", out var id) && id.ValueKind == JsonValueKind.Number ? new Grabbed($"{id.GetInt64()}") : null;
    }

    public Task<long?> StorageBytesWrittenAsync() => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A grabbed task: completed already, in the grab's own transaction.</summary>
    private sealed class Grabbed(string taskId) : IBenchTaskClaim
    {
        public string TaskId => taskId;

        public Task<bool> CompleteAsync() => Task.FromResult(true);
    }
}
