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
    // The secret that identifies this lease to the lock: never logged, never shown.
    private readonly string _leaseId;
    private readonly LockProvider _provider;
    private readonly FixedOwnerClaims.Claim? _claim;
    private int _disposed;

    private LockHandle(ILockGrain grain, LeaseKeeper keeper, string leaseId, string name, FixedOwnerClaims.Claim? claim, LockProvider provider)
    {
        _leaseId = leaseId;
        _grain = grain;
        _keeper = keeper;
        _claim = claim;
        _provider = provider;
        Name = name;
    }

    /// <summary>
    /// Abandoned without Dispose: stops renewing so the lease runs out instead of living forever;
    /// <see cref="HandleLostToken"/> still fires when it does.
    /// </summary>
    ~LockHandle()
    {
        _keeper.Stop(disarmLossTimer: false);
        _claim?.Dispose();
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>The owner label this lock was granted to (the lease itself is identified by a secret lease id, never shown).</summary>
    public string Owner => _keeper.Owner;

    /// <summary>The fencing token of this grant: larger than every earlier grant of the same lock.</summary>
    public long FencingToken => _keeper.FencingToken;

    /// <summary>When the lease ends on the server unless renewed (server clock), as of the last confirmed renewal.</summary>
    public DateTimeOffset ExpiresAt => _keeper.ExpiresAt;

    /// <summary>
    /// Cancelled when the lease is lost or can no longer be proven held: a refresh was refused (expired, taken over,
    /// force-released), or none was confirmed before the local deadline less <see cref="LockOptions.SafetyMargin"/>
    /// (cluster unreachable, failover too slow). It fires on a timer at that moment, whatever a hung call is doing,
    /// and also for a handle that was dropped without being disposed. It does not fire after a dispose.
    /// </summary>
    public CancellationToken HandleLostToken => _keeper.LostToken;

    internal LeaseKeeper Keeper => _keeper;

    /// <summary>
    /// Hands out a grant. A grant found by a retry, or after a wait long enough to use up much of the conservative
    /// deadline (counted from <paramref name="sentAt"/>, the earliest call that could have produced it), is refreshed
    /// first so the handle starts with a lease it can prove. Nobody holds the handle yet, so that refresh gets a whole
    /// TTL to answer. Returns null when the lock refused it (the grant lapsed meanwhile); a failed refresh throws and
    /// the caller withdraws the grant.
    /// </summary>
    internal static async Task<LockHandle?> StartAsync(
        ILockGrain grain, LockResult grant, string owner, string leaseId, LockOptions options, long sentAt, bool retried,
        FixedOwnerClaims.Claim? claim, LockProvider provider, CancellationToken cancellationToken)
    {
        var keeper = new LeaseKeeper(grain, grant, owner, leaseId, options, sentAt, provider.Logger);
        if (!await keeper.TryStartAsync(options, retried, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new LockHandle(grain, keeper, leaseId, grant.LockName, claim, provider);
    }

    /// <summary>
    /// Renews the lease now, optionally with a new length that later renewals keep. Returns false when the lock
    /// refused: the lease is lost and <see cref="HandleLostToken"/> has fired.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is not positive (thrown at the call, not by the task).</exception>
    public ValueTask<bool> ExtendAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (ttl is { } lease && lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid ttl: the lease TTL must be positive (was {lease}).");
        }

        return new ValueTask<bool>(_keeper.RefreshAsync(ttl, cancellationToken));
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
            await DisposeAsync().ConfigureAwait(false);
            return !_keeper.LostToken.IsCancellationRequested;
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var held = await UnknownOutcome.RetryAsync(() => _keeper.RefreshAsync(holdFor, CancellationToken.None), _provider.ClientOptions.RetryBudget).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            GC.SuppressFinalize(this);
            _keeper.Stop(disarmLossTimer: true);
            _claim?.Dispose();
        }

        return held;
    }

    /// <summary>
    /// Stops renewing and releases the lock. Idempotent. On an unreachable cluster it retries the release only while
    /// the lease could still be held (its remaining time, at most <see cref="LockClientOptions.RetryBudget"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        _keeper.Stop(disarmLossTimer: true);
        try
        {
            // Retrying past the lease's own end achieves nothing: by then nobody can be refused because of it.
            var remaining = _keeper.Remaining;
            if (_keeper.LostToken.IsCancellationRequested || remaining <= TimeSpan.Zero)
            {
                return;
            }

            var budget = remaining < _provider.ClientOptions.RetryBudget ? remaining : _provider.ClientOptions.RetryBudget;
            await UnknownOutcome.RetryAsync(() => _grain.ReleaseLease(_leaseId), budget).ConfigureAwait(false);
        }
        catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
        {
            // Unreachable: the lease simply runs out. Nobody else can be granted before it does.
        }
        finally
        {
            _claim?.Dispose();
        }
    }

    /// <summary>
    /// Stops renewing and releases the lock, blocking until done (at most the lease's remaining time). Idempotent.
    /// Safe on a single-threaded synchronization context: the library never resumes on the caller's context.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
