using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>
/// Membership and messaging settings that decide how fast a lock comes back after the silo hosting it dies.
/// </summary>
/// <remarks>
/// With Orleans' defaults a silo killed with <c>kill -9</c> is declared dead after 11 to 18 seconds, and every lock it
/// hosted is unreachable for that long. Lock state is in PostgreSQL, so as soon as the dead silo is declared dead any
/// other silo can activate the lock again with the same holder and fencing token. These settings bring the time until
/// the lock answers again to a median of about 2.5 seconds (measured figures are in docs/cluster.md) while keeping the
/// protections that stop a slow but live silo from being evicted on a loaded machine: three missed probes, an indirect
/// probe through another silo, and the connection liveness check.
/// </remarks>
public static class LockFailoverTuning
{
    /// <summary>Initial probe timeout; the probe period adapts between half of it and four times it.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed probes before a silo votes that the target is dead.</summary>
    public const int NumMissedProbesLimit = 3;

    /// <summary>Votes needed to declare a silo dead (capped by Orleans at half the live silos, rounded up).</summary>
    public const int NumVotesForDeathDeclaration = 2;

    /// <summary>How long a death vote counts.</summary>
    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How often each silo writes its heartbeat to the membership table.</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often each silo re-reads the membership table besides the gossip it receives.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a stopping silo gives its clients to move to other gateways before it stops taking requests.</summary>
    public static readonly TimeSpan ClientGatewayShutdownNotificationTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Longest a silo waits for the answer to a call it sent to another silo.</summary>
    public static readonly TimeSpan SiloResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Applies the lock service's failure-detection settings to the silo.</summary>
    public static ISiloBuilder UseLockFailoverTuning(this ISiloBuilder builder)
    {
        builder.Configure<ClusterMembershipOptions>(membership =>
        {
            // Default 5 s. Orleans adapts the probe period and timeout to the measured round trip, bounded by half and
            // four times this value. On loopback or a LAN the round trip is milliseconds, so probes go out every
            // ~0.5 s and a dead silo (connection refused) fails each one at once; under load the timeout stretches up
            // to 4 s, and further while this silo itself is degraded, so a slow answer is not a missed one.
            membership.ProbeTimeout = ProbeTimeout;

            // Default 3, kept. One or two missed probes are what a GC pause or a busy 2-core machine produces; three
            // in a row at ~0.5 s spacing still take only ~1.5 s for a dead silo. The third probe is indirect (below).
            membership.NumMissedProbesLimit = NumMissedProbesLimit;

            // Default 2, kept. A failed indirect probe carries two votes (this silo and the intermediary that could not
            // reach the target either), so one round of probing is enough to evict, while a single silo with a broken
            // network path can never evict a healthy peer on its own.
            membership.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;

            // Default true, kept explicit: the last probe before voting goes through another silo, so a silo that is
            // only unreachable from here (or a local hiccup here) does not produce a vote.
            membership.EnableIndirectProbes = true;

            // Default true, kept explicit: a vote is suppressed while the connection to the suspected silo has carried
            // any message within 4 x ProbeTimeout x NumMissedProbesLimit (12 s). A live but slow silo keeps answering
            // late, so it is not evicted; a killed silo's connections are closed by the kernel at once, so this check
            // does not delay its eviction.
            membership.EnableConnectionLivenessCheck = true;

            // Default true, kept explicit: on a loaded machine this silo's own degradation lengthens its probe timeouts.
            membership.ExtendProbeTimeoutDuringDegradation = true;

            // Default 2 min. Eviction now takes seconds, so a vote older than 20 s describes a past hiccup, not the
            // present; letting it combine with a fresh, unrelated vote could evict a healthy silo.
            membership.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;

            // Default 30 s. A silo whose heartbeat is 3 x 5 s = 15 s old is treated as stale: it no longer counts towards
            // the votes needed, so when two of three silos die at once the survivor can evict them after 15 s instead
            // of 90 s. One small UPDATE per silo every 5 s is nothing for PostgreSQL.
            membership.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;

            // Default 60 s. Deaths normally spread by gossip within milliseconds; this re-read is the fallback for a
            // silo that missed the gossip, so it keeps routing lock calls to a dead silo for at most 5 s, not a minute.
            membership.TableRefreshTimeout = TableRefreshTimeout;
        });

        builder.Configure<SiloMessagingOptions>(messaging =>
        {
            // Default 30 s. Calls to a silo that is declared dead are failed at once, so this only bounds calls to a
            // silo that hangs without dying. 10 s matches the lock client's own ResponseTimeout: a gateway never keeps
            // waiting on a forwarded lock call after the client that made it has given up.
            messaging.ResponseTimeout = SiloResponseTimeout;

            // Default 0. On SIGTERM the gateway first tells its clients to stop sending to it, then deactivates its
            // locks, stops accepting client messages and refuses requests ("Silo stopping"). With no pause, a client
            // may still be sending through this gateway while it closes; one second lets the notice arrive and the
            // clients move to another gateway first. It costs a rolling update one second per silo.
            messaging.ClientGatewayShutdownNotificationTimeout = ClientGatewayShutdownNotificationTimeout;
        });

        // Compile the take-over path (activate a lock, read its row) at start rather than during the first failover.
        builder.AddStartupTask<LockService.Silo.LockWarmup>();
        return builder;
    }
}
