using LockService.Testing;

namespace LockService.Bench.Hosting;

/// <summary>
/// A lock service cluster of N silo processes (the Release build) on one PostgreSQL database, started for one peer
/// through the same <see cref="SiloProcessGroup"/> the tests and the chaos suite use, with the settings of one
/// <see cref="SiloVariant"/>. Each silo's PID goes into the state directory, so <c>scripts/bench.sh</c> can stop it
/// even if this program dies first.
/// </summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    // The silos' own logging would cost the measured processes time: warnings only, and the silo's own messages.
    private static readonly Dictionary<string, string> QuietLogging = new()
    {
        ["LOCKSILO_Logging__LogLevel__Default"] = "Warning",
        ["LOCKSILO_Logging__LogLevel__LockService.Silo"] = "Information",
    };

    private readonly SiloProcessGroup _group;
    private readonly string[] _pidFiles;

    private SiloCluster(SiloProcessGroup group, string[] pidFiles, SiloVariant variant, IReadOnlyList<Uri> httpUrls)
    {
        _group = group;
        _pidFiles = pidFiles;
        Variant = variant;
        HttpUrls = httpUrls;
    }

    public string ClusterId => _group.ClusterId;

    public string ServiceId => _group.ServiceId;

    public SiloVariant Variant { get; }

    public IReadOnlyList<SiloProcess> Silos => _group.Slots.Select(slot => slot.Process!).ToArray();

    public IEnumerable<string> Gateways => _group.Gateways;

    /// <summary>Each silo's HTTP API (<c>--http-port</c>), when started with <c>http</c>; empty otherwise.</summary>
    public IReadOnlyList<Uri> HttpUrls { get; }

    /// <summary>What the run records of this cluster: silo count, the variant, every setting that shapes the figures.</summary>
    public IReadOnlyDictionary<string, string> Configuration
    {
        get
        {
            var configuration = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["kind"] = "this service: LockSilo processes (Release) on the run's PostgreSQL",
                ["silos"] = Silos.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["silo settings"] = Variant.Summary,
                ["logging"] = "Warning; LockService.Silo: Information (set)",
            };
            foreach (var (key, value) in Variant.Effective())
            {
                configuration[key] = value;
            }

            // SiloProcess passes this program's environment on: a LOCKSILO_ variable exported in the shell would
            // change the silos unseen, so it is recorded (only the variant's settings and the log level override it).
            var inherited = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(key => key.StartsWith("LOCKSILO_", StringComparison.Ordinal) && !Variant.Environment.ContainsKey(key) && !QuietLogging.ContainsKey(key))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (inherited.Length > 0)
            {
                configuration["inherited environment (not the defaults!)"] = string.Join(", ", inherited.Select(key => $"{key}={Environment.GetEnvironmentVariable(key)}"));
            }

            return configuration;
        }
    }

    /// <param name="http">Whether each silo serves the HTTP API too, on a port of its own (scenario (h) and the http- peers).</param>
    public static async Task<SiloCluster> StartAsync(string name, int silos, SiloVariant variant, string siloDll, string postgres, string stateDirectory, bool http = false)
    {
        var httpPorts = http ? FreePorts.Take(silos) : [];
        // A service id of its own per cluster: the clusters share the database but never a lock's state.
        var group = new SiloProcessGroup(postgres, $"bench-{name}", $"bench-{name}-{Guid.NewGuid():N}"[..40])
        {
            SiloDll = siloDll,
            Environment = QuietLogging.Concat(variant.Environment).ToDictionary(setting => setting.Key, setting => setting.Value),
            OutputFolder = Path.Combine(stateDirectory, name),
        };
        try
        {
            await group.StartAsync(silos, index => http
                ? ["--silo-name", $"{name}-silo-{index + 1}", "--http-port", $"{httpPorts[index]}"]
                : ["--silo-name", $"{name}-silo-{index + 1}"]);
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        var pidFiles = group.Slots.Select(slot => Path.Combine(stateDirectory, $"{name}-silo-{slot.Index + 1}.pid")).ToArray();
        foreach (var (slot, pidFile) in group.Slots.Zip(pidFiles))
        {
            File.WriteAllText(pidFile, $"{slot.Process!.ProcessId}\n");
        }

        return new SiloCluster(group, pidFiles, variant, httpPorts.Select(port => new Uri($"http://127.0.0.1:{port}")).ToArray());
    }

    /// <summary>Resident memory of all silos now, in bytes.</summary>
    public long ResidentBytes() => Silos.Sum(silo => silo.ResidentBytes());

    /// <summary>Stops every silo. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _group.DisposeAsync();
        foreach (var pidFile in _pidFiles)
        {
            File.Delete(pidFile);
        }
    }
}
