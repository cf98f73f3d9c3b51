using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Three HTTP-serving silo processes (<see cref="HttpSilos"/>) with three API keys configured by their hashes (scope
/// lock, scope queue, scope admin), and real nginx in front of them as <c>scripts/cluster.sh start --nginx</c> runs
/// it: the deployment of seed 001, with keys. Every process is stopped at the end.
/// </summary>
public sealed class KeyedHttpClusterFixture : IAsyncLifetime
{
    private HttpSilos _silos = null!;

    /// <summary>A key with scope lock only.</summary>
    public string LockKey { get; } = NewKey();

    /// <summary>A key with scope queue only.</summary>
    public string QueueKey { get; } = NewKey();

    /// <summary>A key with scope admin (which implies lock and queue).</summary>
    public string AdminKey { get; } = NewKey();

    public IReadOnlyList<LockService.Testing.SiloProcess> Silos => _silos.Group.Slots.Select(s => s.Process!).ToArray();

    /// <summary>Each silo's HTTP API, in slot order.</summary>
    public IReadOnlyList<Uri> SiloUrls => _silos.BaseAddresses;

    public NginxProxy Nginx { get; private set; } = null!;

    /// <summary>A client of <paramref name="baseAddress"/> that sends <paramref name="key"/> as its Bearer token (none when null).</summary>
    public static HttpClient Client(Uri baseAddress, string? key)
    {
        var client = HttpApi.Client(baseAddress);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A client of silo <paramref name="index"/> with <paramref name="key"/>.</summary>
    public HttpClient Silo(int index, string? key) => Client(SiloUrls[index], key);

    /// <summary>A client of nginx with <paramref name="key"/> (admin when not given).</summary>
    public HttpClient ThroughNginx(string? key = null) => Client(Nginx.Url, key ?? AdminKey);

    /// <summary>The hex SHA-256 of <paramref name="key"/>, as <c>printf %s KEY | sha256sum</c> prints it.</summary>
    public static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task InitializeAsync()
    {
        string[] keys =
        [
            "--Http:ApiKeys:0:Sha256", Sha256(LockKey), "--Http:ApiKeys:0:Scopes:0", "lock",
            "--Http:ApiKeys:1:Sha256", Sha256(QueueKey), "--Http:ApiKeys:1:Scopes:0", "queue",
            "--Http:ApiKeys:2:Sha256", Sha256(AdminKey), "--Http:ApiKeys:2:Scopes:0", "admin",
        ];
        _silos = await HttpSilos.StartAsync("locks_keyed", HttpClusterFixture.SiloCount, keys);
        Nginx = await NginxProxy.StartAsync(SiloUrls.Select(url => $"127.0.0.1:{url.Port}"));
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Nginx is not null)
            {
                await Nginx.DisposeAsync();
            }
        }
        finally
        {
            await _silos.DisposeAsync();
        }
    }

    private static string NewKey() => $"test-key-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
}

[CollectionDefinition(Name)]
public sealed class KeyedHttpClusterCollection : ICollectionFixture<KeyedHttpClusterFixture>
{
    public const string Name = "keyed http cluster";
}
