using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// Renews one lease in the background and decides when it can no longer be proven held. It keeps a local deadline
/// measured from when each successful refresh was <em>sent</em> (the server's lease started no earlier), on the
/// monotonic clock, so neither a slow answer nor a skewed wall clock can make the client believe in a lease that
/// has already ended on the server.
/// </summary>
/// <remarks>It holds no reference to its handle, so a handle nobody disposed can be collected and stop it.</remarks>
internal sealed partial class LeaseKeeper
{
    private readonly ILockGrain _grain;
    private readonly string _lockName;
    private readonly TimeSpan _renewInterval;
    private readonly long? _renewUntil;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _deadline;
    private long _lastConfirmedSend;
    private TimeSpan _ttl;

    public LeaseKeeper(ILockGrain grain, LockResult grant, string owner, LockOptions options, long grantSentAt, ILogger logger)
    {
        _grain = grain;
        _lockName = grant.LockName;
        Owner = owner;
        FencingToken = grant.FencingToken;
        ExpiresAt = grant.ExpiresAt!.Value;
        _ttl = options.Ttl;
        _renewInterval = options.EffectiveRenewInterval;
        _logger = logger;
        _lastConfirmedSend = grantSentAt;
        _deadline = grantSentAt + ToTicks(_ttl);
        _renewUntil = options.MaxHoldTime is { } maxHold ? Stopwatch.GetTimestamp() + ToTicks(maxHold) : null;
    }

    public string Owner { get; }

    public long FencingToken { get; }

    public DateTimeOffset ExpiresAt { get; private set; }

    public CancellationToken LostToken => _lost.Token;

    public bool IsStopped => _stop.IsCancellationRequested;

    public Task Running { get; private set; } = Task.CompletedTask;

    /// <summary>How much of the lease is left by the local, conservative deadline.</summary>
    public TimeSpan Remaining => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _deadline));

    public void Start() => Running = Task.Run(RunAsync);

    public void Stop() => _stop.Cancel();

    /// <summary>Refreshes now. Returns false (and signals loss) when the lock refuses: the lease is gone.</summary>
    public async Task<bool> RefreshAsync(TimeSpan? ttl, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (_lost.IsCancellationRequested)
            {
                return false;
            }

            var lease = ttl ?? _ttl;
            var sentAt = Stopwatch.GetTimestamp();
            var result = await _grain.Refresh(Owner, FencingToken, lease).WaitAsync(Remaining > TimeSpan.Zero ? Remaining : TimeSpan.FromMilliseconds(1), cancellationToken);
            if (result.Outcome != LockOutcome.Renewed)
            {
                MarkLost($"the lock refused the refresh ({result.Outcome}; holder now {result.Holder ?? "nobody"})");
                return false;
            }

            _ttl = lease;
            _lastConfirmedSend = sentAt;
            Volatile.Write(ref _deadline, sentAt + ToTicks(lease));
            ExpiresAt = result.ExpiresAt!.Value;
            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void MarkLost(string reason)
    {
        if (!_lost.IsCancellationRequested)
        {
            LogLost(_logger, _lockName, Owner, FencingToken, reason);
            _stop.Cancel();
            _lost.Cancel();
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var deadline = Volatile.Read(ref _deadline);
            var renewing = _renewUntil is not { } until || now < until;
            var nextRenewal = renewing ? _lastConfirmedSend + ToTicks(_renewInterval) : long.MaxValue;
            var wakeAt = Math.Min(nextRenewal, deadline);
            if (wakeAt > now)
            {
                try
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, wakeAt), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _deadline))
            {
                MarkLost(renewing ? "no refresh was confirmed before the lease's deadline" : "the maximum hold time was reached");
                return;
            }

            if (!renewing || Stopwatch.GetTimestamp() < _lastConfirmedSend + ToTicks(_renewInterval))
            {
                continue;
            }

            try
            {
                await RefreshAsync(ttl: null, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Unreachable or failing over: try again soon; the deadline decides when to give up.
                LogRefreshFailed(_logger, exception, _lockName);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(_renewInterval.TotalMilliseconds / 2, 1000)), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock '{LockName}': lease of '{Owner}' (fencing token {FencingToken}) is lost: {Reason}.")]
    private static partial void LogLost(ILogger logger, string lockName, string owner, long fencingToken, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lock '{LockName}': refresh failed; retrying before the deadline.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string lockName);
}
