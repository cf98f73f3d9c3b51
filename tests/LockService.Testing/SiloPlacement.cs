namespace LockService.Testing;

/// <summary>
/// Where a silo process runs on this machine: the address it advertises (and clients and other silos reach it at),
/// and the command it is started under, e.g. <c>ip netns exec ns1</c> to give it a network of its own.
/// </summary>
public sealed record SiloPlacement(string Address, IReadOnlyList<string> Launcher)
{
    /// <summary>The PostgreSQL host as seen from the silo, when it differs from the test's connection string.</summary>
    public string? PostgresHost { get; init; }

    /// <summary>The host's own network: every silo on 127.0.0.1, as <c>scripts/cluster.sh</c> runs them.</summary>
    public static SiloPlacement Loopback { get; } = new("127.0.0.1", []);
}
