using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// Renews one lease in the background and decides when it can no longer be proven held. It keeps a local deadline
/// measured from when each successful refresh was <em>sent</em> (the server's lease started no earlier), on the
/// monotonic clock, so neither a slow answer nor a skewed wall clock can make the client believe in a lease that
/// has already ended on the server. Loss is signalled by a timer at the deadline minus the safety margin, not by
/// the renewal loop, so a hung refresh call cannot delay it.
/// </summary>
/// <remarks>
/// It holds no reference to its handle, so a handle nobody disposed can be collected: its finalizer stops the
/// renewal, and the loss timer still fires when the lease runs out.
/// </remarks>
internal sealed partial class LeaseKeeper
{
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    private readonly ILeaseRenewer _renewer;
    private readonly string _lockName;
    private readonly TimeSpan _renewInterval;
    private readonly TimeSpan _safetyMargin;
    private readonly long? _renewUntil;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _deadline;
    private long _lastConfirmedSend;
    private TimeSpan _ttl;
    private volatile bool _armed;
    private volatile bool _disarmed;
    private volatile string? _lostReason;

    public LeaseKeeper(ILockGrain grain, LockResult grant, string owner, string leaseId, LockOptions options, long grantSentAt, ILogger logger)
        : this(new LockLeaseRenewer(grain, leaseId), grant.LockName, owner, grant.FencingToken, grant.ExpiresAt!.Value, options, grantSentAt, logger)
    {
    }

    /// <summary>Keeps any lease (a lock's or a semaphore's) that <paramref name="renewer"/> can renew.</summary>
    public LeaseKeeper(ILeaseRenewer renewer, string name, string owner, long fencingToken, DateTimeOffset expiresAt, LockOptions options, long grantSentAt, ILogger logger)
    {
        _renewer = renewer;
        _lockName = name;
        Owner = owner;
        FencingToken = fencingToken;
        ExpiresAt = expiresAt;
        _ttl = options.Ttl;
        _renewInterval = options.EffectiveRenewInterval;
        _safetyMargin = options.EffectiveSafetyMargin;
        _logger = logger;
        _lastConfirmedSend = grantSentAt;
        _deadline = grantSentAt + ToTicks(_ttl);
        _renewUntil = options.MaxHoldTime is { } maxHold ? Stopwatch.GetTimestamp() + ToTicks(maxHold) : null;
        _lost.Token.UnsafeRegister(static keeper => ((LeaseKeeper)keeper!).OnLost(), this);
    }

    public string Owner { get; }

    public long FencingToken { get; }

    public DateTimeOffset ExpiresAt { get; private set; }

    public CancellationToken LostToken => _lost.Token;

    public bool IsStopped => _stop.IsCancellationRequested;

    public Task Running { get; private set; } = Task.CompletedTask;

    /// <summary>How much of the lease is left by the local, conservative deadline.</summary>
    public TimeSpan Remaining => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _deadline));

    /// <summary>The local deadline, as a <see cref="Stopwatch"/> timestamp.</summary>
    public long Deadline => Volatile.Read(ref _deadline);

    /// <summary>When the last confirmed refresh (or the grant) was sent, as a <see cref="Stopwatch"/> timestamp.</summary>
    public long LastConfirmedSend => Volatile.Read(ref _lastConfirmedSend);

    public TimeSpan SafetyMargin => _safetyMargin;

    /// <summary>Arms the loss timer and starts renewing: the handle is out.</summary>
    public void Start()
    {
        _armed = true;
        ArmLossTimer();
        Running = Task.Run(RunAsync);
    }

    /// <summary>
    /// Starts keeping a lease that is about to be handed out. A grant found by a retry, or after a wait long enough to
    /// use up much of the conservative deadline, is refreshed first, so the handle starts with a lease it can prove;
    /// nobody holds the handle yet, so that refresh gets a whole TTL to answer. False when the server refused it (the
    /// grant lapsed meanwhile); a failed refresh throws and the caller withdraws the grant.
    /// </summary>
    public async Task<bool> TryStartAsync(LockOptions options, bool retried, CancellationToken cancellationToken)
    {
        if (retried || Remaining < options.Ttl - options.EffectiveRenewInterval)
        {
            if (!await RefreshAsync(ttl: null, cancellationToken, timeout: options.Ttl).ConfigureAwait(false))
            {
                return false;
            }
        }

        Start();
        return true;
    }

    /// <summary>
    /// Stops renewing. A handle that was abandoned keeps the loss timer, so <see cref="LostToken"/> still fires when
    /// the lease runs out; a handle disposed (released, or left to its guard time) disarms it.
    /// </summary>
    public void Stop(bool disarmLossTimer)
    {
        if (disarmLossTimer)
        {
            _disarmed = true;
            _lost.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        _stop.Cancel();
    }

    /// <summary>
    /// Refreshes now. Returns false (and signals loss) when the lock refuses: the lease is gone. The call may take
    /// <paramref name="timeout"/>, by default until the moment the lease counts as lost.
    /// </summary>
    public async Task<bool> RefreshAsync(TimeSpan? ttl, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_lost.IsCancellationRequested)
            {
                return false;
            }

            var lease = ttl ?? _ttl;
            var sentAt = Stopwatch.GetTimestamp();
            var budget = timeout ?? Remaining - _safetyMargin;
            var renewal = await _renewer.RenewAsync(lease)
                .WaitAsync(budget > TimeSpan.Zero ? budget : TimeSpan.FromMilliseconds(1), cancellationToken)
                .ConfigureAwait(false);
            if (renewal.Refusal is { } refusal)
            {
                MarkLost(refusal);
                return false;
            }

            _ttl = lease;
            Volatile.Write(ref _lastConfirmedSend, sentAt);
            Volatile.Write(ref _deadline, sentAt + ToTicks(lease));
            ExpiresAt = renewal.ExpiresAt;
            ArmLossTimer();
            return !_lost.IsCancellationRequested;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void MarkLost(string reason)
    {
        _lostReason ??= reason;
        _lost.Cancel();
    }

    private void OnLost()
    {
        var renewing = _renewUntil is not { } until || Stopwatch.GetTimestamp() < until;
        var reason = _lostReason ?? (renewing
            ? $"no refresh was confirmed before the lease's deadline less the safety margin of {_safetyMargin}"
            : "the maximum hold time was reached");
        LogLost(_logger, _lockName, Owner, FencingToken, reason);
        _stop.Cancel();
    }

    /// <summary>(Re)sets the loss timer to the deadline minus the safety margin; fires at once if that has passed.</summary>
    private void ArmLossTimer()
    {
        if (!_armed || _disarmed || _lost.IsCancellationRequested)
        {
            return;
        }

        var due = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _deadline) - ToTicks(_safetyMargin));
        if (due <= TimeSpan.Zero)
        {
            _lost.Cancel();
            return;
        }

        _lost.CancelAfter(due < LongestTimer ? due : LongestTimer);
    }

    private async Task RunAsync()
    {
        var nextAttempt = Volatile.Read(ref _lastConfirmedSend) + ToTicks(_renewInterval);
        while (!_stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (_renewUntil is { } until && now >= until)
            {
                // Renewal ends here; the loss timer fires when the lease runs out.
                return;
            }

            var wakeAt = Math.Min(nextAttempt, _renewUntil ?? long.MaxValue);
            if (wakeAt > now)
            {
                try
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, wakeAt), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            try
            {
                await RefreshAsync(ttl: null, _stop.Token).ConfigureAwait(false);
                nextAttempt = Volatile.Read(ref _lastConfirmedSend) + ToTicks(_renewInterval);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Unreachable or failing over: try again soon; the loss timer decides when to give up.
                LogRefreshFailed(_logger, exception, _lockName);
                nextAttempt = Stopwatch.GetTimestamp() + ToTicks(TimeSpan.FromMilliseconds(Math.Min(_renewInterval.TotalMilliseconds / 2, 1000)));
            }
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': lease of '{Owner}' (fencing token {FencingToken}) is lost: {Reason}.")]
    private static partial void LogLost(ILogger logger, string lockName, string owner, long fencingToken, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}': refresh failed; retrying before the deadline.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string lockName);
}
