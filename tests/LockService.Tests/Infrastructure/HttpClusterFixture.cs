using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LockService.Testing;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Three <c>LockSilo</c> processes on a fresh PostgreSQL database, each serving the HTTP API on a port of its own
/// (<c>--http-port</c>), and an <see cref="HttpClient"/> per silo: the API as curl, Python or Go reach it.
/// </summary>
public sealed class HttpClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    private readonly List<HttpClient> _clients = [];
    private HttpSilos _silos = null!;

    /// <summary>Each silo's HTTP base address, by slot.</summary>
    public IReadOnlyList<Uri> BaseAddresses => _silos.BaseAddresses;

    /// <summary>Each silo's name, as it signs its answers in <c>X-Served-By</c>.</summary>
    public static string SiloName(int index) => $"http-silo-{index}";

    /// <summary>A client of silo <paramref name="index"/>'s HTTP API.</summary>
    public HttpClient Http(int index = 0) => _clients[index];

    /// <summary>A client of its own (to cancel or dispose in a test), on silo <paramref name="index"/>.</summary>
    public HttpClient NewClient(int index = 0) => _silos.Client(index);

    public async Task InitializeAsync()
    {
        _silos = await HttpSilos.StartAsync("locks_http", SiloCount);
        _clients.AddRange(BaseAddresses.Select(HttpApi.Client));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _silos.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class HttpClusterCollection : ICollectionFixture<HttpClusterFixture>
{
    public const string Name = "http cluster";
}

/// <summary>Small helpers for talking to a silo's HTTP API in tests.</summary>
public static class HttpApi
{
    /// <summary>A client with a generous time-out: long-polls of up to 55 s run through it on a loaded machine.</summary>
    public static HttpClient Client(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(150) };

    /// <summary>The arguments that make a silo serve HTTP on <paramref name="port"/> under <paramref name="name"/>.</summary>
    public static IEnumerable<string> SiloArguments(int port, string name) => ["--http-port", $"{port}", "--silo-name", name];

    /// <summary>Waits until <c>/readyz</c> answers 200: the silo is active and its storage reachable.</summary>
    public static Task WaitUntilReadyAsync(HttpClient client) =>
        Eventually.ReturnsAsync(async () =>
        {
            try
            {
                using var response = await client.GetAsync("readyz");
                return (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return 0;
            }
        }, status => status == 200, $"{client.BaseAddress}readyz to answer 200", TimeSpan.FromSeconds(120));

    /// <summary>POSTs <paramref name="body"/> as JSON.</summary>
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body, CancellationToken cancellationToken = default) =>
        client.PostAsJsonAsync(path, body, cancellationToken);

    /// <summary>Asserts a 200 and reads the JSON body as <typeparamref name="T"/>.</summary>
    public static async Task<T> OkAsync<T>(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>
    /// Asserts an RFC 9457 problem of <paramref name="status"/> and kind <paramref name="kind"/> (the last segment of
    /// its type), with no stack trace in it, and returns its JSON.
    /// </summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string kind)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal($"https://lockservice.dev/problems/{kind}", problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", text);
        return problem;
    }

    /// <summary>The silo that answered, from <c>X-Served-By</c>.</summary>
    public static string ServedBy(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Served-By", out var values) ? string.Join(",", values) : "(no X-Served-By)";
}
