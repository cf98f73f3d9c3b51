using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// What a test does to the work queue calls a client sends, client-side: a hook receives the real call (not yet sent)
/// and decides what the client sees. Records which lease id each claim and task call presented, by method name.
/// </summary>
public sealed class QueueCallHooks
{
    public Func<Func<Task<ClaimedTask?>>, Task<ClaimedTask?>>? Claim { get; set; }

    public Func<Func<Task>, Task>? Complete { get; set; }

    /// <summary>Every claim and task call in order: method name and the lease id it presented.</summary>
    public ConcurrentQueue<(string Method, string LeaseId)> Calls { get; } = new();

    public IEnumerable<string> LeaseIdsOf(string method) => Calls.Where(c => c.Method == method).Select(c => c.LeaseId);

    internal T Run<T>(string method, string leaseId, Func<Func<T>, T>? hook, Func<T> call)
    {
        Calls.Enqueue((method, leaseId));
        return hook is null ? call() : hook(call);
    }
}

/// <summary>A work queue grain reference whose claims go through <see cref="QueueCallHooks"/>: for <c>LockProvider.QueueGrainInterceptor</c>.</summary>
public sealed class ScriptedQueueGrain(IWorkQueueGrain inner, QueueCallHooks hooks) : IWorkQueueGrain
{
    public Task<IReadOnlyList<string>> Enqueue(IReadOnlyList<NewTask> tasks) => inner.Enqueue(tasks);

    public Task<ClaimedTask?> Claim(string worker, string leaseId, TimeSpan leaseTtl, TimeSpan wait, CancellationToken cancellationToken = default) =>
        hooks.Run(nameof(Claim), leaseId, hooks.Claim, () => inner.Claim(worker, leaseId, leaseTtl, wait, cancellationToken));

    public Task<bool> Withdraw(string leaseId) => hooks.Run(nameof(Withdraw), leaseId, null, () => inner.Withdraw(leaseId));

    public Task<QueueStats> Stats() => inner.Stats();

    public Task<QueueTaskPage> List(QueueTaskStatus? status, string? after, int limit) => inner.List(status, after, limit);

    public Task<QueueTaskInfo> Retry(string taskId) => inner.Retry(taskId);

    public Task<long> Purge() => inner.Purge();
}

/// <summary>A queue segment grain reference whose calls go through <see cref="QueueCallHooks"/>: for <c>LockProvider.SegmentGrainInterceptor</c>.</summary>
public sealed class ScriptedQueueSegmentGrain(IWorkQueueSegmentGrain inner, QueueCallHooks hooks) : IWorkQueueSegmentGrain
{
    public Task Complete(string taskId, string leaseId) => hooks.Run(nameof(Complete), leaseId, hooks.Complete, () => inner.Complete(taskId, leaseId));

    public Task<bool> Abandon(string taskId, string leaseId, string? error) => hooks.Run(nameof(Abandon), leaseId, null, () => inner.Abandon(taskId, leaseId, error));

    public Task<DateTimeOffset> Extend(string taskId, string leaseId, TimeSpan leaseTtl) => hooks.Run(nameof(Extend), leaseId, null, () => inner.Extend(taskId, leaseId, leaseTtl));
}
