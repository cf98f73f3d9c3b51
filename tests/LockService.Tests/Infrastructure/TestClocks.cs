using LockService.Testing;
using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// One fake lock clock per test cluster. Silo configurators are created by type, so they find their cluster's clock
/// here by the id the fixture put in the cluster's configuration.
/// </summary>
public static class TestClocks
{
    public const string ConfigurationKey = "LockTestClockId";

    private static readonly ConcurrentDictionary<string, LockTestClock> Clocks = new();

    public static LockTestClock For(string clockId) =>
        Clocks.GetOrAdd(clockId, _ => new LockTestClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
}
