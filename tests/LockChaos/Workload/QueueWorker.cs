using System.Globalization;
using LockService.Client;

namespace LockService.Chaos.Workload;

/// <summary>Settings of one queue worker process.</summary>
/// <param name="Worker">The worker name: recorded with its claims and counted in the queue's statistics.</param>
/// <param name="Gateways">Every silo's gateway.</param>
/// <param name="ClusterId">The cluster's id.</param>
/// <param name="ServiceId">The cluster's service id.</param>
/// <param name="Queue">The queue to work off.</param>
/// <param name="LogPath">Where the worker appends one line per event (see <see cref="QueueWorker"/>).</param>
/// <param name="Ttl">Each claim's lease length.</param>
/// <param name="WorkMs">How long one task's work takes, drawn uniformly from this range.</param>
/// <param name="FailurePercent">How often (in percent) the work fails and the task is abandoned.</param>
public sealed record QueueWorkerSettings(
    string Worker,
    IReadOnlyList<string> Gateways,
    string ClusterId,
    string ServiceId,
    string Queue,
    string LogPath,
    TimeSpan Ttl,
    (int Min, int Max) WorkMs,
    int FailurePercent);

/// <summary>
/// A worker process of the queue tests (<c>LockChaos queue-worker</c>): claims one task at a time, works on it, and
/// completes it, or abandons it on a simulated failure. It logs every step with the wall clock in milliseconds, one line
/// each, flushed at once, so that a checker can tell what it believed at every moment even after a SIGKILL:
/// <c>start TASK TOKEN ATTEMPT MS</c> (the claim was handed out), <c>lost TASK TOKEN MS</c> (its HandleLostToken fired),
/// <c>end TASK TOKEN MS</c> (the work is over; it completes or abandons next), <c>done TASK TOKEN MS</c> (the completion was accepted), <c>refused TASK TOKEN MS</c> (the completion was refused),
/// <c>failed TASK TOKEN MS</c> (abandoned after a simulated failure), <c>unknown TASK TOKEN MS</c> (the completion got no
/// answer). It runs until killed or SIGTERM.
/// </summary>
public static class QueueWorker
{
    public static async Task<int> RunAsync(QueueWorkerSettings settings)
    {
        // Not disposed: ProcessExit may cancel it while the runtime shuts down.
        var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

        await using var client = await WorkloadClient.ConnectAsync(settings.Gateways, settings.ClusterId, settings.ServiceId);

        // A wide safety margin: the loss signal fires well before the server's lease can end, even on a loaded machine
        // whose timers run late, so "lost" is logged before any other worker can be handed the task.
        var queue = client.Locks.CreateQueue(settings.Queue, new LockOptions
        {
            Ttl = settings.Ttl,
            RenewInterval = settings.Ttl / 6,
            SafetyMargin = settings.Ttl / 3,
            Owner = settings.Worker,
        });
        await using var log = new StreamWriter(new FileStream(settings.LogPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var random = new Random();
        Console.WriteLine($"queue worker {settings.Worker} ready");

        while (!stop.IsCancellationRequested)
        {
            TaskClaim claim;
            try
            {
                claim = await queue.ClaimAsync(Timeout.InfiniteTimeSpan, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is TimeoutException or Orleans.Runtime.OrleansException or LockStorageException)
            {
                // The cluster is failing over: claim again shortly.
                await Task.Delay(200, CancellationToken.None);
                continue;
            }

            await using (claim)
            {
                var task = claim.TaskId;
                var token = claim.ClaimToken.ToString(CultureInfo.InvariantCulture);
                Write(log, $"start {task} {token} {claim.Attempt.ToString(CultureInfo.InvariantCulture)}");
                using var onLost = claim.HandleLostToken.Register(() => Write(log, $"lost {task} {token}"));
                try
                {
                    await Task.Delay(random.Next(settings.WorkMs.Min, settings.WorkMs.Max + 1), claim.HandleLostToken);
                }
                catch (OperationCanceledException)
                {
                    // Lost: stop working; the next claim of the task will do it. Disposing abandons harmlessly.
                    continue;
                }

                Write(log, $"end {task} {token}");
                if (random.Next(100) < settings.FailurePercent)
                {
                    await claim.AbandonAsync("simulated failure");
                    Write(log, $"failed {task} {token}");
                    continue;
                }

                try
                {
                    await claim.CompleteAsync();
                    Write(log, $"done {task} {token}");
                }
                catch (TaskLeaseLostException)
                {
                    Write(log, $"refused {task} {token}");
                }
                catch (Exception exception) when (exception is TimeoutException or Orleans.Runtime.OrleansException or LockStorageException)
                {
                    // Unknown outcome after the whole retry budget: the checker reads the queue's own counts.
                    Write(log, $"unknown {task} {token}");
                }
            }
        }

        return 0;
    }

    private static void Write(StreamWriter log, string line)
    {
        var stamped = $"{line} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
        lock (log)
        {
            log.WriteLine(stamped);
        }
    }
}
