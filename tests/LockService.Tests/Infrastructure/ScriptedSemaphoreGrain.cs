using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// What a test does to the semaphore calls a client sends, client-side: a hook receives the real call (not yet sent)
/// and decides what the client sees. Records which lease id each call presented, by method name.
/// </summary>
public sealed class SemaphoreCallHooks
{
    public Func<Func<Task<SemaphoreResult>>, Task<SemaphoreResult>>? TryAcquire { get; set; }

    public Func<Func<Task<SemaphoreResult>>, Task<SemaphoreResult>>? Abandon { get; set; }

    /// <summary>Every call in order: method name and the lease id it presented.</summary>
    public ConcurrentQueue<(string Method, string LeaseId)> Calls { get; } = new();

    public IEnumerable<string> LeaseIdsOf(string method) => Calls.Where(c => c.Method == method).Select(c => c.LeaseId);

    internal Task<SemaphoreResult> Run(string method, string leaseId, Func<Func<Task<SemaphoreResult>>, Task<SemaphoreResult>>? hook, Func<Task<SemaphoreResult>> call)
    {
        Calls.Enqueue((method, leaseId));
        return hook is null ? call() : hook(call);
    }
}

/// <summary>A semaphore grain reference whose calls go through <see cref="SemaphoreCallHooks"/>: for <c>LockProvider.SemaphoreGrainInterceptor</c>.</summary>
public sealed class ScriptedSemaphoreGrain(ISemaphoreGrain inner, SemaphoreCallHooks hooks) : ISemaphoreGrain
{
    public Task<SemaphoreResult> TryAcquire(string owner, string leaseId, int maxCount, TimeSpan ttl) =>
        hooks.Run(nameof(TryAcquire), leaseId, hooks.TryAcquire, () => inner.TryAcquire(owner, leaseId, maxCount, ttl));

    public Task<SemaphoreResult> Acquire(string owner, string leaseId, int maxCount, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        hooks.Run(nameof(Acquire), leaseId, null, () => inner.Acquire(owner, leaseId, maxCount, ttl, timeout, cancellationToken));

    public Task<SemaphoreResult> Refresh(string leaseId, TimeSpan ttl) => hooks.Run(nameof(Refresh), leaseId, null, () => inner.Refresh(leaseId, ttl));

    public Task<SemaphoreResult> Release(string leaseId) => hooks.Run(nameof(Release), leaseId, null, () => inner.Release(leaseId));

    public Task<SemaphoreResult> Abandon(string leaseId) => hooks.Run(nameof(Abandon), leaseId, hooks.Abandon, () => inner.Abandon(leaseId));

    public Task<int> ForceRelease(int? slot) => inner.ForceRelease(slot);

    public Task<SemaphoreDescription> SetLimit(int maxCount) => inner.SetLimit(maxCount);

    public Task<SemaphoreDescription> Describe() => inner.Describe();
}
