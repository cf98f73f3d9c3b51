using LockService.Chaos.History;
using LockService.Client;
using Npgsql;

namespace LockService.Chaos.Workload;

/// <summary>Settings of one workload client process.</summary>
public sealed record WorkloadSettings(
    string ClientId,
    int Workers,
    IReadOnlyList<string> Gateways,
    string ClusterId,
    string ServiceId,
    int Locks,
    TimeSpan Ttl,
    TimeSpan Duration,
    string HistoryPath,
    string Postgres,
    (int Min, int Max) HoldMs,
    bool HandleApi,
    int SemaphoreWorkers,
    int Semaphores,
    int SemaphoreMaxCount);

/// <summary>
/// A client process of the chaos suite: its workers take random locks (and its semaphore workers slots of the
/// semaphores, <see cref="SemaphoreWorker"/>), write to the protected resources while they hold them, refresh and
/// release, and record every call's invocation and outcome with the shared monotonic clock.
/// Its workers call the grain directly (<see cref="RawGrainWorker"/>) or, with <see cref="WorkloadSettings.HandleApi"/>,
/// go through the client library's lock handles (<see cref="HandleWorker"/>).
/// </summary>
public static class WorkloadClient
{
    public static async Task<int> RunAsync(WorkloadSettings settings)
    {
        await using var client = await ConnectAsync(settings.Gateways, settings.ClusterId, settings.ServiceId);
        await using var database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(settings.Postgres) { Timeout = 5, CommandTimeout = 5 }.ConnectionString);
        var resources = new ProtectedResources(database);
        using var history = new HistoryFile(settings.HistoryPath);
        var until = DateTime.UtcNow + settings.Duration;

        // The lock workers first, then the semaphore workers (numbered after them, so every worker name is unique).
        await Task.WhenAll(Enumerable.Range(0, settings.Workers + settings.SemaphoreWorkers).Select(w => Task.Run(() =>
        {
            var worker = new WorkerHistory($"{settings.ClientId}-{w}", history, resources);
            return w >= settings.Workers ? new SemaphoreWorker(worker, settings, client.Grains).RunAsync(until)
                : settings.HandleApi ? new HandleWorker(worker, settings, client.Locks).RunAsync(until)
                : new RawGrainWorker(worker, settings, client.Grains).RunAsync(until);
        })));
        return 0;
    }

    /// <summary>A client of the cluster under test, through every gateway, with a short response timeout so faults surface fast.</summary>
    public static Task<LockClientConnection> ConnectAsync(IReadOnlyList<string> gateways, string clusterId, string serviceId) =>
        LockClientConnection.ConnectAsync(options =>
        {
            foreach (var gateway in gateways)
            {
                options.Gateways.Add(gateway);
            }

            options.ClusterId = clusterId;
            options.ServiceId = serviceId;
            options.ResponseTimeout = TimeSpan.FromSeconds(5);
        });
}
