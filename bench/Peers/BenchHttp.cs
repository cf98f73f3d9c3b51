using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LockService.Bench.Peers;

/// <summary>
/// The HTTP client every HTTP peer of the benchmark uses, as a Python or Go client of seed 001 would: keep-alive
/// connections (as many as there are workers), JSON bodies, no retries. One shape for both sides of scenario (h).
/// </summary>
internal static class BenchHttp
{
    /// <summary>JSON as the HTTP API and FastAPI write it: camelCase names in, any case out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static HttpClient Client(Uri baseAddress) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        UseProxy = false,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestVersion = HttpVersion.Version11,
    };

    /// <summary>POSTs <paramref name="body"/> as JSON; the answer's status and body (as JSON, or default when empty).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, object? body)
    {
        using var response = body is null ? await http.PostAsync(path, null) : await http.PostAsJsonAsync(path, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Like <see cref="PostAsync"/>, but a status other than <paramref name="expected"/> throws with the body.</summary>
    public static async Task<JsonElement> PostExpectingAsync(HttpClient http, string path, object? body, params HttpStatusCode[] expected)
    {
        var (status, answer) = await PostAsync(http, path, body);
        return expected.Contains(status)
            ? answer
            : throw new InvalidOperationException($"POST {http.BaseAddress}{path.TrimStart('/')} answered {(int)status}: {answer}");
    }

    /// <summary>Waits until <paramref name="path"/> answers 2xx (a silo's <c>/readyz</c>), for at most a minute.</summary>
    public static async Task WaitReadyAsync(HttpClient http, string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{http.BaseAddress}{path.TrimStart('/')} is not ready after a minute.");
            }

            await Task.Delay(200);
        }
    }
}
