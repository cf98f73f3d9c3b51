using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// A synchronization context with one thread, as a UI or classic ASP.NET application has: a continuation posted to
/// it waits until that thread is free, so code that blocks the thread on such a continuation deadlocks.
/// </summary>
public sealed class SingleThreadedContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();

    public SingleThreadedContext()
    {
        var thread = new Thread(() =>
        {
            SetSynchronizationContext(this);
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        })
        { IsBackground = true, Name = "single-threaded context" };
        thread.Start();
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send would block the only thread.");

    /// <summary>Runs <paramref name="work"/> on the context's thread; its awaits resume there unless told otherwise.</summary>
    public Task RunAsync(Func<Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(async _ =>
        {
            try
            {
                await work();
                done.SetResult();
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        }, null);
        return done.Task;
    }

    public void Dispose() => _queue.CompleteAdding();
}
