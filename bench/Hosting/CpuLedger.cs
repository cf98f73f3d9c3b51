using LockService.Bench.Reporting;

namespace LockService.Bench.Hosting;

/// <summary>
/// What one operation of a scenario costs each process that serves it, in CPU time (issue 19, "where the time goes"):
/// this bench process (the clients and the peer's client library), the peer's silo processes (for the lock service)
/// and the PostgreSQL server, summed over the peer's measured windows only (warm-ups are left out) and divided by the
/// operations those windows counted.
/// </summary>
/// <remarks>
/// Read from <c>/proc</c> before and after each window, so it is exact for those processes but counts everything they
/// did meanwhile: the bench's idle connections of the other peers and the other clusters' membership upkeep in
/// PostgreSQL are in it too (small next to a window's work). Other processes on the machine are not, but they compete
/// for the same cores, which makes the absolute figures of a shared machine larger than a quiet one's; the proportions
/// between the processes are the figure to read.
/// </remarks>
internal sealed class CpuLedger(PostgresActivity database)
{
    private readonly Dictionary<(string Scenario, string Peer), (double Client, double Silos, double Postgres)> _seconds = [];

    /// <summary>The metric that counts a scenario's operations, for the scenarios whose CPU per operation is reported.</summary>
    public static string? OperationsMetric(string scenario) => scenario switch
    {
        "b" or "b-large" => "pairs",
        "d" or "f" => "grants",
        _ => null,
    };

    /// <summary>Runs one measured <paramref name="window"/> of <paramref name="peer"/> and adds the CPU time it took.</summary>
    public async Task MeasureAsync(string scenario, string peer, IReadOnlyCollection<int> siloProcesses, Func<Task> window)
    {
        var before = Sample(siloProcesses);
        await window();
        var after = Sample(siloProcesses);
        var total = _seconds.GetValueOrDefault((scenario, peer));
        _seconds[(scenario, peer)] = (total.Client + after.Client - before.Client, total.Silos + after.Silos - before.Silos, total.Postgres + after.Postgres - before.Postgres);
    }

    /// <summary>Writes the CPU milliseconds per operation of each process kind (silos only for a peer that has them).</summary>
    public void Report(string scenario, string peer, bool hasSilos, BenchResults results)
    {
        if (OperationsMetric(scenario) is not { } metric || results.Get(scenario, peer, metric) is not { } operations || operations <= 0
            || !_seconds.TryGetValue((scenario, peer), out var seconds))
        {
            return;
        }

        results.Set(scenario, peer, "cpu_client_ms_per_op", 1000 * seconds.Client / operations);
        results.Set(scenario, peer, "cpu_postgres_ms_per_op", 1000 * seconds.Postgres / operations);
        if (hasSilos)
        {
            results.Set(scenario, peer, "cpu_silos_ms_per_op", 1000 * seconds.Silos / operations);
        }
    }

    private (double Client, double Silos, double Postgres) Sample(IReadOnlyCollection<int> siloProcesses) =>
        (ProcessCpu.SecondsOf([Environment.ProcessId]), ProcessCpu.SecondsOf(siloProcesses), database.ServerCpuSeconds());
}
