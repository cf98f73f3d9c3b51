using LockService.Grains;
using LockService.Silo;

namespace LockService.Bench.Hosting;

/// <summary>
/// The settings a benchmark cluster's silos run with, beyond their log level. The headline peers (<c>orleans-1</c>,
/// <c>orleans-3</c>) run <see cref="Defaults"/>: nothing set, so their figures are what a user running the silo as
/// shipped gets (issue 19, item 1). Any other variant is a peer of its own, named with its <see cref="Suffix"/>, so its
/// figures are never taken for the defaults'.
/// </summary>
/// <param name="Suffix">Appended to the peer's name (<c>orleans-1-eager</c>); empty for the defaults.</param>
/// <param name="Summary">What the variant changes, in words, for the report.</param>
/// <param name="Settings">Silo configuration keys (as in <c>appsettings.json</c>, <c>:</c> between sections) and values.</param>
internal sealed record SiloVariant(string Suffix, string Summary, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The silo as shipped.</summary>
    public static readonly SiloVariant Defaults = new("", "the silo's defaults (nothing set but the log level)", new Dictionary<string, string>());

    /// <summary>Lazily durable release off: every release is written before it returns, as before issue 13.</summary>
    public static readonly SiloVariant EagerRelease = new(
        "-eager",
        "variant: lazily durable release off (every release written before it returns)",
        new Dictionary<string, string> { ["LockGrains:ReleaseWriteDelay"] = "00:00:00" });

    /// <summary>
    /// Scenario (e)'s silo: idle lock grains are collected after 65 s instead of Orleans' 15 minutes (its one-minute
    /// collection quantum is the floor), and the silo looks for such a wave every 5 s instead of every minute, so (e)
    /// sees the memory come back within the run.
    /// </summary>
    public static readonly SiloVariant IdleCollection = new(
        "-scale",
        "variant for (e): idle lock grains collected after 65 s, memory given back checked every 5 s",
        new Dictionary<string, string>
        {
            ["LockGrains:IdleDeactivationAge"] = "00:01:05",
            ["MemoryReturnCheckInterval"] = "00:00:05",
        });

    /// <summary>The variants a peer name may end with.</summary>
    public static readonly SiloVariant[] PeerVariants = [Defaults, EagerRelease];

    /// <summary>The settings as the silo's environment variables (<c>LOCKSILO_</c> prefix, <c>__</c> between sections).</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        Settings.ToDictionary(setting => "LOCKSILO_" + setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value);

    /// <summary>
    /// The settings that shape the figures, each with the value the silos run with: set by this variant, or the
    /// default read from the silo's own option classes (so the record cannot drift from the code).
    /// </summary>
    public IReadOnlyDictionary<string, string> Effective()
    {
        var grains = new LockGrainOptions();
        var silo = new LockSiloOptions();
        var storage = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionDefaults.ForPool("Host=localhost", PostgresPool.Storage));
        var effective = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["LockGrains:ReleaseWriteDelay"] = Value("LockGrains:ReleaseWriteDelay", grains.ReleaseWriteDelay.ToString("c")),
            ["LockGrains:IdleDeactivationAge"] = Value("LockGrains:IdleDeactivationAge", grains.IdleDeactivationAge?.ToString("c") ?? "Orleans' collection age (15 minutes)"),
            ["LockGrains:ExpiryCheckInterval"] = Value("LockGrains:ExpiryCheckInterval", grains.ExpiryCheckInterval.ToString("c")),
            ["LockGrains:MaxWaiters"] = Value("LockGrains:MaxWaiters", grains.MaxWaiters.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["MemoryReturnCheckInterval"] = Value("MemoryReturnCheckInterval", silo.MemoryReturnCheckInterval.ToString("c")),
            ["failover tuning"] = "on (UseLockFailoverTuning, always part of the silo)",
            ["lock state storage"] = $"ADO.NET grain storage on PostgreSQL: Max Auto Prepare {storage.MaxAutoPrepare}, No Reset On Close {storage.NoResetOnClose}, Maximum Pool Size {storage.MaxPoolSize}",
        };
        foreach (var (key, value) in Settings.Where(setting => !effective.ContainsKey(setting.Key)))
        {
            effective[key] = $"{value} (set)";
        }

        return effective;
    }

    private string Value(string key, string defaultValue) =>
        Settings.TryGetValue(key, out var set) ? $"{set} (set)" : $"{defaultValue} (default)";
}
