using LockService.Testing;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// A cluster of HTTP-serving silo processes of a test's own, for tests that stop a silo or break its database (the
/// shared <see cref="HttpClusterFixture"/> must stay healthy). Every process is killed on dispose.
/// </summary>
public sealed class HttpSilos : IAsyncDisposable
{
    private HttpSilos(SiloProcessGroup group, IReadOnlyList<Uri> baseAddresses)
    {
        Group = group;
        BaseAddresses = baseAddresses;
    }

    public SiloProcessGroup Group { get; }

    public IReadOnlyList<Uri> BaseAddresses { get; }

    /// <summary>A new client of silo <paramref name="index"/>'s HTTP API; the caller disposes it.</summary>
    public HttpClient Client(int index) => HttpApi.Client(BaseAddresses[index]);

    /// <summary>Starts <paramref name="count"/> silos on a fresh database, each serving HTTP, and waits until each is ready.</summary>
    public static async Task<HttpSilos> StartAsync(string databasePrefix, int count, IEnumerable<string>? extra = null)
    {
        var ports = FreePorts.Take(count);
        var group = new SiloProcessGroup(await TestDatabase.CreateAsync(databasePrefix), $"http-{Guid.NewGuid():N}", $"http-{Guid.NewGuid():N}");
        var silos = new HttpSilos(group, ports.Select(port => new Uri($"http://127.0.0.1:{port}/")).ToArray());
        try
        {
            await group.StartAsync(count, index => HttpApi.SiloArguments(ports[index], HttpClusterFixture.SiloName(index)).Concat(extra ?? []));
            foreach (var address in silos.BaseAddresses)
            {
                using var client = HttpApi.Client(address);
                await HttpApi.WaitUntilReadyAsync(client);
            }

            return silos;
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Group.DisposeAsync();
}
