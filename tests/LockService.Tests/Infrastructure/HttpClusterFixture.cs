using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using LockService.Testing;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Three silo processes on a fresh PostgreSQL database serving the HTTP API (<c>--http-port</c>, named silo-1..3),
/// with three API keys configured by their hashes (scope lock, scope queue, scope admin), and real nginx in front of
/// them as <c>scripts/cluster.sh start --nginx</c> runs it. Every process is stopped at the end.
/// </summary>
public sealed class HttpClusterFixture : IAsyncLifetime
{
    private SiloProcessGroup _group = null!;

    /// <summary>A key with scope lock only.</summary>
    public string LockKey { get; } = NewKey();

    /// <summary>A key with scope queue only.</summary>
    public string QueueKey { get; } = NewKey();

    /// <summary>A key with scope admin (which implies lock and queue).</summary>
    public string AdminKey { get; } = NewKey();

    public IReadOnlyList<SiloProcess> Silos => _group.Slots.Select(s => s.Process!).ToArray();

    /// <summary>Each silo's HTTP API, in slot order (silo-1 first).</summary>
    public IReadOnlyList<Uri> SiloUrls { get; private set; } = [];

    public NginxProxy Nginx { get; private set; } = null!;

    /// <summary>A client of <paramref name="baseAddress"/> that sends <paramref name="key"/> as its Bearer token (none when null).</summary>
    public static HttpClient Client(Uri baseAddress, string? key)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(3) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>An admin client of nginx: what most tests use.</summary>
    public HttpClient ThroughNginx(string? key = null) => Client(Nginx.Url, key ?? AdminKey);

    public async Task InitializeAsync()
    {
        _group = new SiloProcessGroup(await TestDatabase.CreateAsync("locks_http"), $"http-{Guid.NewGuid():N}", $"http-{Guid.NewGuid():N}");
        var httpPorts = FreePorts.Take(3);
        string[] keys =
        [
            "--Http:ApiKeys:0:Sha256", Sha256(LockKey), "--Http:ApiKeys:0:Scopes:0", "lock",
            "--Http:ApiKeys:1:Sha256", Sha256(QueueKey), "--Http:ApiKeys:1:Scopes:0", "queue",
            "--Http:ApiKeys:2:Sha256", Sha256(AdminKey), "--Http:ApiKeys:2:Scopes:0", "admin",
        ];
        await _group.StartAsync(3, index => ["--http-port", $"{httpPorts[index]}", "--silo-name", $"silo-{index + 1}", .. keys]);
        SiloUrls = [.. httpPorts.Select(port => new Uri($"http://127.0.0.1:{port}"))];
        foreach (var url in SiloUrls)
        {
            await WaitUntilServingAsync(url);
        }

        Nginx = await NginxProxy.StartAsync(httpPorts.Select(port => $"127.0.0.1:{port}"));
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
            await _group.DisposeAsync();
        }
    }

    /// <summary>The hex SHA-256 of <paramref name="key"/>, as <c>printf %s KEY | sha256sum</c> prints it.</summary>
    public static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Waits until the silo's HTTP API answers <c>/healthz</c> (Kestrel may start a moment after the silo).</summary>
    public static async Task WaitUntilServingAsync(Uri url)
    {
        using var client = Client(url, key: null);
        await Eventually.ReturnsAsync(
            async () =>
            {
                try
                {
                    using var response = await client.GetAsync("/healthz");
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            serving => serving,
            $"the HTTP API at {url} to answer /healthz",
            TimeSpan.FromMinutes(2));
    }

    private static string NewKey() => $"test-key-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
}

[CollectionDefinition(Name)]
public sealed class HttpClusterCollection : ICollectionFixture<HttpClusterFixture>
{
    public const string Name = "http cluster";
}
