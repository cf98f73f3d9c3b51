namespace LockService.Bench.Hosting;

/// <summary>A lock service cluster of N silo processes on one PostgreSQL database, started for one peer.</summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos;

    private SiloCluster(string clusterId, string serviceId, List<SiloProcess> silos)
    {
        ClusterId = clusterId;
        ServiceId = serviceId;
        _silos = silos;
    }

    public string ClusterId { get; }

    public string ServiceId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IEnumerable<string> Gateways => _silos.Select(s => s.Gateway);

    public static async Task<SiloCluster> StartAsync(string name, int silos, string siloDll, string postgres, string stateDirectory)
    {
        // A service id of its own per cluster: the clusters share the database but never a lock's state.
        var launch = new SiloLaunch(siloDll, postgres, $"bench-{name}", $"bench-{name}-{Guid.NewGuid():N}"[..40], stateDirectory);
        var started = new List<SiloProcess>();
        try
        {
            // The first silo alone, then the rest: joining an existing membership table is the common path.
            started.Add(SiloProcess.Start(launch, $"{name}-silo-1"));
            await started[0].WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
            for (var i = 2; i <= silos; i++)
            {
                started.Add(SiloProcess.Start(launch, $"{name}-silo-{i}"));
            }

            await Task.WhenAll(started.Skip(1).Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
            return new SiloCluster(launch.ClusterId, launch.ServiceId, started);
        }
        catch
        {
            foreach (var silo in started)
            {
                await silo.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Stops every silo (SIGTERM, then SIGKILL). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
        _silos.Clear();
    }
}
