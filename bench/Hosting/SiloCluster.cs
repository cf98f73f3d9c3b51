using LockService.Testing;

namespace LockService.Bench.Hosting;

/// <summary>
/// A lock service cluster of N silo processes (the Release build) on one PostgreSQL database, started for one peer
/// through the same <see cref="SiloProcessGroup"/> the tests and the chaos suite use. Each silo's PID goes into the
/// state directory, so <c>scripts/bench.sh</c> can stop it even if this program dies first.
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

    private SiloCluster(SiloProcessGroup group, string[] pidFiles)
    {
        _group = group;
        _pidFiles = pidFiles;
    }

    public string ClusterId => _group.ClusterId;

    public string ServiceId => _group.ServiceId;

    public IReadOnlyList<SiloProcess> Silos => _group.Slots.Select(slot => slot.Process!).ToArray();

    public IEnumerable<string> Gateways => _group.Gateways;

    public static async Task<SiloCluster> StartAsync(string name, int silos, string siloDll, string postgres, string stateDirectory)
    {
        // A service id of its own per cluster: the clusters share the database but never a lock's state.
        var group = new SiloProcessGroup(postgres, $"bench-{name}", $"bench-{name}-{Guid.NewGuid():N}"[..40])
        {
            SiloDll = siloDll,
            Environment = QuietLogging,
            OutputFolder = Path.Combine(stateDirectory, name),
        };
        try
        {
            await group.StartAsync(silos, index => ["--silo-name", $"{name}-silo-{index + 1}"]);
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

        return new SiloCluster(group, pidFiles);
    }

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
