namespace LockService.Tests.Infrastructure;

/// <summary>
/// What a test does to the lock calls a client sends, client-side: each hook receives the real call (not yet sent)
/// and decides when to send it and what the client sees. Counts every call by method name. The owner form and the
/// lease-id form of a call share one hook and one count (under the owner form's name): a test scripts what happens to
/// "the refresh", whichever form the client sends.
/// </summary>
public sealed class LockCallHooks
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new();

    public Func<Func<Task<LockResult>>, Task<LockResult>>? TryAcquire { get; set; }

    public Func<Func<Task<LockResult>>, Task<LockResult>>? Acquire { get; set; }

    public Func<Func<Task<LockResult>>, Task<LockResult>>? Refresh { get; set; }

    public Func<Func<Task<LockResult>>, Task<LockResult>>? Release { get; set; }

    public Func<Func<Task<LockResult>>, Task<LockResult>>? Abandon { get; set; }

    public int Calls(string method) => _calls.GetValueOrDefault(method);

    internal Task<LockResult> Run(string method, Func<Func<Task<LockResult>>, Task<LockResult>>? hook, Func<Task<LockResult>> call)
    {
        _calls.AddOrUpdate(method, 1, (_, count) => count + 1);
        return hook is null ? call() : hook(call);
    }
}

/// <summary>A lock grain reference whose calls go through <see cref="LockCallHooks"/>: for <c>LockProvider.GrainInterceptor</c>.</summary>
public sealed class ScriptedLockGrain(ILockGrain inner, LockCallHooks hooks) : ILockGrain
{
    public Task<LockResult> TryAcquire(string owner, TimeSpan ttl) =>
        hooks.Run(nameof(TryAcquire), hooks.TryAcquire, () => inner.TryAcquire(owner, ttl));

    public Task<LockResult> Refresh(string owner, long fencingToken, TimeSpan ttl) =>
        hooks.Run(nameof(Refresh), hooks.Refresh, () => inner.Refresh(owner, fencingToken, ttl));

    public Task<LockResult> Release(string owner, long fencingToken) =>
        hooks.Run(nameof(Release), hooks.Release, () => inner.Release(owner, fencingToken));

    public Task<LockResult> Acquire(string owner, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        hooks.Run(nameof(Acquire), hooks.Acquire, () => inner.Acquire(owner, ttl, timeout, cancellationToken));

    public Task<LockResult> Abandon(string owner) => hooks.Run(nameof(Abandon), hooks.Abandon, () => inner.Abandon(owner));

    public Task<LockResult> TryAcquire(string owner, string leaseId, TimeSpan ttl) =>
        hooks.Run(nameof(TryAcquire), hooks.TryAcquire, () => inner.TryAcquire(owner, leaseId, ttl));

    public Task<LockResult> Acquire(string owner, string leaseId, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        hooks.Run(nameof(Acquire), hooks.Acquire, () => inner.Acquire(owner, leaseId, ttl, timeout, cancellationToken));

    public Task<LockResult> RefreshLease(string leaseId, TimeSpan ttl) =>
        hooks.Run(nameof(Refresh), hooks.Refresh, () => inner.RefreshLease(leaseId, ttl));

    public Task<LockResult> ReleaseLease(string leaseId) =>
        hooks.Run(nameof(Release), hooks.Release, () => inner.ReleaseLease(leaseId));

    public Task<LockResult> AbandonLease(string leaseId) => hooks.Run(nameof(Abandon), hooks.Abandon, () => inner.AbandonLease(leaseId));

    public Task<LockResult> ForceRelease() => inner.ForceRelease();

    public Task<LockDescription> Describe() => inner.Describe();
}
