using Npgsql;

namespace LockService.Testing;

/// <summary>
/// The silo processes of one cluster on one PostgreSQL database, as <c>scripts/cluster.sh</c> runs them. Silos can be
/// killed, paused or restarted in their slots (same ports), and every process is killed on dispose.
/// </summary>
public sealed class SiloProcessGroup(string connectionString, string clusterId, string serviceId) : IAsyncDisposable
{
    private readonly List<SiloSlot> _slots = [];

    public string ConnectionString { get; } = connectionString;

    public string ClusterId { get; } = clusterId;

    public string ServiceId { get; } = serviceId;

    public IReadOnlyList<SiloSlot> Slots => _slots;

    /// <summary>
    /// If set, each silo process's output is appended to <c>silo-N.log</c> here when the process is replaced or
    /// disposed. By default a folder named after the cluster under <c>LOCKS_TEST_SILO_LOGS</c>, when the test script
    /// sets it, so a failed CI run can show what the silos said.
    /// </summary>
    public string? OutputFolder { get; init; } = System.Environment.GetEnvironmentVariable("LOCKS_TEST_SILO_LOGS") is { Length: > 0 } logs
        ? Path.Combine(logs, clusterId)
        : null;

    /// <summary>The silo program to run, if not the <c>LockSilo.dll</c> next to this assembly (a Release build, say).</summary>
    public string? SiloDll { get; init; }

    /// <summary>Environment variables every silo of the group starts with (logging levels, <c>LOCKSILO_*</c> settings).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Every slot's gateway, whether or not its silo is up: what a client is configured with.</summary>
    public IEnumerable<string> Gateways => _slots.Select(s => s.Gateway);

    /// <summary>
    /// Starts <paramref name="count"/> silos and waits until each is serving and all are Active in the membership
    /// table. <paramref name="placement"/> and <paramref name="extraArguments"/> are asked per slot index.
    /// </summary>
    public async Task StartAsync(int count, Func<int, IEnumerable<string>>? extraArguments = null, Func<int, SiloPlacement>? placement = null)
    {
        var ports = FreePorts.Take(count * 2);
        var first = _slots.Count;
        for (var i = 0; i < count; i++)
        {
            var index = first + i;
            _slots.Add(new SiloSlot(index, ports[2 * i], ports[2 * i + 1], placement?.Invoke(index) ?? SiloPlacement.Loopback, extraArguments?.Invoke(index).ToArray() ?? []));
        }

        var added = _slots.Skip(first).ToArray();

        // The first silo of a cluster alone creates its membership version row; the others then join it.
        Launch(added[0], added[0].ExtraArguments);
        await added[0].Process!.WaitUntilReadyAsync();
        foreach (var slot in added.Skip(1))
        {
            Launch(slot, slot.ExtraArguments);
        }

        await Task.WhenAll(added.Select(s => s.Process!.WaitUntilReadyAsync()));
        await Eventually.ReturnsAsync(ActiveSiloCountAsync, active => active == _slots.Count, $"{_slots.Count} silos Active in the membership table");
    }

    /// <summary>Starts the slot's silo again (after a kill or a graceful stop), on the same ports, optionally with other arguments.</summary>
    public async Task RestartAsync(SiloSlot slot, IEnumerable<string>? extraArguments = null)
    {
        if (slot.Process is { } old)
        {
            await DisposeProcessAsync(slot, old);
        }

        Launch(slot, (extraArguments ?? slot.ExtraArguments).ToArray());
        await slot.Process!.WaitUntilReadyAsync();
    }

    /// <summary>The slot whose silo listens on <paramref name="siloPort"/> (as the grain directory names silos).</summary>
    public SiloSlot? SlotOf(int siloPort) => _slots.FirstOrDefault(s => s.SiloPort == siloPort);

    /// <summary>Silos of this cluster with status Active (3) in the ADO.NET membership table.</summary>
    public Task<long> ActiveSiloCountAsync() => CountMembersAsync(status: 3);

    /// <summary>Silos of this cluster declared Dead (6) in the membership table.</summary>
    public Task<long> DeadSiloCountAsync() => CountMembersAsync(status: 6);

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots)
        {
            if (slot.Process is { } silo)
            {
                await DisposeProcessAsync(slot, silo);
            }
        }
    }

    private async Task DisposeProcessAsync(SiloSlot slot, SiloProcess process)
    {
        await process.DisposeAsync();
        if (OutputFolder is not null)
        {
            Directory.CreateDirectory(OutputFolder);
            await File.AppendAllTextAsync(Path.Combine(OutputFolder, $"silo-{slot.Index}.log"), process.Output + System.Environment.NewLine);
        }
    }

    private void Launch(SiloSlot slot, IReadOnlyList<string> extraArguments)
    {
        var postgres = slot.Placement.PostgresHost is { } host
            ? new NpgsqlConnectionStringBuilder(ConnectionString) { Host = host }.ConnectionString
            : ConnectionString;
        slot.Process = SiloProcess.Start(postgres, ClusterId, ServiceId, slot.SiloPort, slot.GatewayPort, extraArguments, Environment, slot.Placement, SiloDll);
    }

    private async Task<long> CountMembersAsync(int status)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = @status", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("status", status);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
