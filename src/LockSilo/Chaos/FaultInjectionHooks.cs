namespace LockService.Silo.Chaos;

/// <summary>
/// The fault-injection hooks a silo can run with (a shifted lock clock, a crash after a write): test seams, not
/// product settings. A silo refuses to start with any of them set unless fault injection is switched on explicitly,
/// and with it switched on it says so on its console before it starts and in its log once it serves.
/// </summary>
public static class FaultInjectionHooks
{
    /// <summary>The hooks <paramref name="options"/> sets, as <c>Name=value</c>; empty for a production silo.</summary>
    public static IReadOnlyList<string> SetIn(LockSiloOptions options)
    {
        var hooks = new List<string>();
        if (options.ClockOffset != TimeSpan.Zero)
        {
            hooks.Add($"{nameof(LockSiloOptions.ClockOffset)}={options.ClockOffset}");
        }

        if (options.ChaosCrashAfterWriteOf is { Length: > 0 } crashLock)
        {
            hooks.Add($"{nameof(LockSiloOptions.ChaosCrashAfterWriteOf)}={crashLock}");
        }

        return hooks;
    }

    /// <summary>Why a start with <paramref name="hook"/> set and the switch off is refused, naming the rule.</summary>
    public static string Refusal(string hook) =>
        $"{hook.Split('=')[0]} is a fault-injection hook: a silo starts with fault-injection hooks only when fault injection is " +
        $"switched on explicitly ({SiloConfigurationSources.EnableFaultInjectionFlag} or {SiloConfigurationSources.EnvironmentPrefix}ENABLEFAULTINJECTION=true), " +
        "which no production silo should be.";

    /// <summary>One line saying that this silo injects faults and which.</summary>
    public static string Announcement(LockSiloOptions options) => SetIn(options) is { Count: > 0 } hooks
        ? $"FAULT INJECTION ENABLED: this silo runs test hooks ({string.Join(", ", hooks)}); it must never serve production locks."
        : "FAULT INJECTION ENABLED: this silo accepts test hooks (none set); it must never serve production locks.";
}
