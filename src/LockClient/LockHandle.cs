namespace LockService.Client;

/// <summary>
/// A held lock. The lease is renewed in the background until the handle is disposed, which releases the lock.
/// Present <see cref="FencingToken"/> to whatever the lock protects, and stop working when
/// <see cref="HandleLostToken"/> fires.
/// </summary>
public sealed class LockHandle : IAsyncDisposable, IDisposable
{
    private readonly ILockGrain _grain;
    private readonly LeaseKeeper _keeper;
    private readonly LockProvider _provider;
    private int _disposed;

    private LockHandle(ILockGrain grain, LeaseKeeper keeper, string name, LockProvider provider)
    {
        _grain = grain;
        _keeper = keeper;
        _provider = provider;
        Name = name;
    }

    /// <summary>Abandoned without Dispose: stops renewing so the lease runs out instead of living forever.</summary>
    ~LockHandle()
    {
        _keeper.Stop();
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>The owner this lock was granted to.</summary>
    public string Owner => _keeper.Owner;

    /// <summary>The fencing token of this grant: larger than every earlier grant of the same lock.</summary>
    public long FencingToken => _keeper.FencingToken;

    /// <summary>When the lease ends on the server unless renewed (server clock), as of the last confirmed renewal.</summary>
    public DateTimeOffset ExpiresAt => _keeper.ExpiresAt;

    /// <summary>
    /// Cancelled when the lease is lost or can no longer be proven held: a refresh was refused (expired, taken over,
    /// force-released), or none was confirmed before the local deadline (cluster unreachable, failover too slow).
    /// </summary>
    public CancellationToken HandleLostToken => _keeper.LostToken;

    internal LeaseKeeper Keeper => _keeper;

    internal static async Task<LockHandle> StartAsync(ILockGrain grain, LockResult grant, string owner, LockOptions options, long sentAt, LockProvider provider)
    {
        var keeper = new LeaseKeeper(grain, grant, owner, options, sentAt, provider.Logger);
        if (keeper.Remaining < options.Ttl - options.EffectiveRenewInterval)
        {
            // A grant after a long wait: the conservative deadline (from when the wait was sent) is mostly used up.
            // One refresh now gives the handle a fresh, provable lease.
            await keeper.RefreshAsync(ttl: null, CancellationToken.None);
        }

        keeper.Start();
        return new LockHandle(grain, keeper, grant.LockName, provider);
    }

    /// <summary>
    /// Renews the lease now, optionally with a new length that later renewals keep. Returns false when the lock
    /// refused: the lease is lost and <see cref="HandleLostToken"/> has fired.
    /// </summary>
    public async ValueTask<bool> ExtendAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (ttl is { } lease && lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid ttl: the lease TTL must be positive (was {lease}).");
        }

        return await _keeper.RefreshAsync(ttl, cancellationToken);
    }

    /// <summary>
    /// Stops renewing and leaves the lock held for <paramref name="holdFor"/> more, by the server's lease, instead of
    /// releasing it now: a job that finished early still blocks the same job elsewhere for its guard time (ShedLock's
    /// lock-at-least-for). With a zero or negative <paramref name="holdFor"/> this releases at once.
    /// </summary>
    /// <returns>False when the lease was already lost; nothing is held then.</returns>
    public async ValueTask<bool> ReleaseAfterAsync(TimeSpan holdFor)
    {
        if (holdFor <= TimeSpan.Zero)
        {
            await DisposeAsync();
            return !_keeper.LostToken.IsCancellationRequested;
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var held = await UnknownOutcome.RetryAsync(() => _keeper.RefreshAsync(holdFor, CancellationToken.None), _provider.ClientOptions.RetryBudget);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            GC.SuppressFinalize(this);
            _keeper.Stop();
        }

        return held;
    }

    /// <summary>Stops renewing and releases the lock. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        _keeper.Stop();
        if (_keeper.LostToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await UnknownOutcome.RetryAsync(() => _grain.Release(Owner, FencingToken), _provider.ClientOptions.RetryBudget);
        }
        catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
        {
            // Unreachable: the lease simply runs out. Nobody else can be granted before it does.
        }
    }

    /// <summary>Stops renewing and releases the lock, blocking until done. Idempotent.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
