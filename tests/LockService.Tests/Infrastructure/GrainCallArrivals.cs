using System.Collections.Concurrent;

using LockService.Queues;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Lets a test wait until a call has reached a lock grain, or count the calls that reached a queue segment or a
/// semaphore: the filter signals just before the grain method runs, on the activation's scheduler, so nothing else of
/// that activation runs until the method awaits for the first time.
/// </summary>
public sealed class GrainCallArrivals : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string LockName, string Method), TaskCompletionSource> Expected = new();
    private static readonly ConcurrentDictionary<(string Key, string Method), int> CountedCalls = new();

    /// <summary>How many calls of <paramref name="method"/> have reached the queue segment keyed <paramref name="segmentKey"/>.</summary>
    public static int QueueSegmentCallsOf(string segmentKey, string method) => CountedCalls.GetValueOrDefault((segmentKey, method));

    /// <summary>How many calls of <paramref name="method"/> have reached semaphore <paramref name="semaphoreName"/>.</summary>
    public static int SemaphoreCallsOf(string semaphoreName, string method) => CountedCalls.GetValueOrDefault((semaphoreName, method));

    /// <summary>Completes when the next call of <paramref name="method"/> reaches lock <paramref name="lockName"/>.</summary>
    public static Task Next(string lockName, string method) =>
        Expected.GetOrAdd((lockName, method), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is ILockGrain && context.TargetId.Key.ToString() is { } lockName && Expected.TryRemove((lockName, context.ImplementationMethod.Name), out var arrived))
        {
            arrived.TrySetResult();
        }

        if (context.Grain is IQueueSegment or ISemaphoreGrain)
        {
            CountedCalls.AddOrUpdate((context.TargetId.Key.ToString()!, context.ImplementationMethod.Name), 1, (_, count) => count + 1);
        }

        return context.Invoke();
    }
}
