using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Lets a test wait until a call has reached a lock grain: the filter signals just before the grain method runs, on
/// the activation's scheduler, so nothing else of that activation runs until the method awaits for the first time.
/// </summary>
public sealed class GrainCallArrivals : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string LockName, string Method), TaskCompletionSource> Expected = new();

    /// <summary>Completes when the next call of <paramref name="method"/> reaches lock <paramref name="lockName"/>.</summary>
    public static Task Next(string lockName, string method) =>
        Expected.GetOrAdd((lockName, method), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is ILockGrain && context.TargetId.Key.ToString() is { } lockName && Expected.TryRemove((lockName, context.ImplementationMethod.Name), out var arrived))
        {
            arrived.TrySetResult();
        }

        return context.Invoke();
    }
}
