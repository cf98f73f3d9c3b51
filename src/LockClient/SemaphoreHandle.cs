namespace LockService.Client;

/// <summary>
/// One held slot of a semaphore. The lease is renewed in the background until the handle is disposed, which frees
/// the slot. Present <see cref="FencingToken"/> (and <see cref="Slot"/>) to whatever the semaphore protects, and stop
/// working when <see cref="HandleLostToken"/> fires.
/// </summary>
public sealed class SemaphoreHandle : IAsyncDisposable, IDisposable
{
    private readonly ISemaphoreGrain _grain;
    private readonly string _leaseId;
    private readonly LeaseKeeper _keeper;
    private readonly LockProvider _provider;
    private int _disposed;

    private SemaphoreHandle(PendingLease lease, LeaseKeeper keeper, SemaphoreResult grant, LockProvider provider)
    {
        _grain = lease.Grain;
        _leaseId = lease.LeaseId;
        _keeper = keeper;
        _provider = provider;
        Name = grant.SemaphoreName;
        Slot = grant.Slot!.Value;
        MaxCount = grant.MaxCount;
    }

    /// <summary>
    /// Abandoned without Dispose: stops renewing so the lease runs out instead of living forever;
    /// <see cref="HandleLostToken"/> still fires when it does.
    /// </summary>
    ~SemaphoreHandle() => _keeper.Stop(disarmLossTimer: false);

    /// <summary>The semaphore's name.</summary>
    public string Name { get; }

    /// <summary>The owner label this slot was granted to (not a secret, and not unique: the lease id is).</summary>
    public string Owner => _keeper.Owner;

    /// <summary>
    /// This lease's slot, 0 to <see cref="MaxCount"/> − 1. No other valid lease of the semaphore has it, so a fenced
    /// resource can keep the highest fencing token per slot.
    /// </summary>
    public int Slot { get; }

    /// <summary>The semaphore's limit when this slot was granted.</summary>
    public int MaxCount { get; }

    /// <summary>The fencing token of this grant: larger than every earlier grant of the same semaphore, in any slot.</summary>
    public long FencingToken => _keeper.FencingToken;

    /// <summary>When the lease ends on the server unless renewed (server clock), as of the last confirmed renewal.</summary>
    public DateTimeOffset ExpiresAt => _keeper.ExpiresAt;

    /// <summary>
    /// Cancelled when the lease is lost or can no longer be proven held: a refresh was refused (expired,
    /// force-released), or none was confirmed before the local deadline less <see cref="LockOptions.SafetyMargin"/>.
    /// It fires on a timer at that moment, whatever a hung call is doing, and also for a handle that was dropped
    /// without being disposed. It does not fire after a dispose.
    /// </summary>
    public CancellationToken HandleLostToken => _keeper.LostToken;

    internal LeaseKeeper Keeper => _keeper;

    /// <summary>
    /// Hands out a grant, refreshing it first when it was found by a retry or after a long wait (as
    /// <see cref="LockHandle"/> does). Returns null when the semaphore refused that refresh (the grant lapsed).
    /// </summary>
    internal static async Task<SemaphoreHandle?> StartAsync(
        PendingLease lease, SemaphoreResult grant, LockOptions options, long sentAt, bool retried, LockProvider provider, CancellationToken cancellationToken)
    {
        var keeper = new LeaseKeeper(
            new SemaphoreLeaseRenewer(lease.Grain, lease.LeaseId), grant.SemaphoreName, lease.Owner, grant.FencingToken, grant.ExpiresAt!.Value, options, sentAt, provider.Logger);
        if (!await keeper.TryStartAsync(options, retried, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new SemaphoreHandle(lease, keeper, grant, provider);
    }

    /// <summary>
    /// Renews the lease now, optionally with a new length that later renewals keep. Returns false when the semaphore
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
    /// Stops renewing and leaves the slot held for <paramref name="holdFor"/> more, by the server's lease, instead of
    /// freeing it now. With a zero or negative <paramref name="holdFor"/> this releases at once.
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
        }

        return held;
    }

    /// <summary>
    /// Stops renewing and frees the slot. Idempotent. On an unreachable cluster it retries the release only while the
    /// lease could still be held (its remaining time, at most <see cref="LockClientOptions.RetryBudget"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        _keeper.Stop(disarmLossTimer: true);
        var remaining = _keeper.Remaining;
        if (_keeper.LostToken.IsCancellationRequested || remaining <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            // Retrying past the lease's own end achieves nothing: by then nobody can be refused because of it.
            var budget = remaining < _provider.ClientOptions.RetryBudget ? remaining : _provider.ClientOptions.RetryBudget;
            await UnknownOutcome.RetryAsync(() => _grain.Release(_leaseId), budget).ConfigureAwait(false);
        }
        catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
        {
            // Unreachable: the lease simply runs out. Nobody else can be granted this slot before it does.
        }
    }

    /// <summary>
    /// Stops renewing and frees the slot, blocking until done (at most the lease's remaining time). Idempotent.
    /// Safe on a single-threaded synchronization context: the library never resumes on the caller's context.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
