using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LockService.Tests.Infrastructure;

/// <summary>Small helpers for tests of the HTTP API: JSON calls, and problem details checked against the contract.</summary>
public static class HttpApi
{
    public const string ProblemTypeBase = "https://lockservice.dev/problems/";

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, object? body = null, CancellationToken cancellationToken = default) =>
        body is null
            ? client.PostAsync(path, content: null, cancellationToken)
            : client.PostAsJsonAsync(path, body, cancellationToken);

    /// <summary>The JSON body of a successful response; fails with the body when the status is not <paramref name="expected"/>.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// Asserts the response is problem details (<c>application/problem+json</c>) of <paramref name="kind"/> with
    /// <paramref name="status"/>, and returns it.
    /// </summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string kind)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {kind}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(ProblemTypeBase + kind, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", text); // never a stack trace
        return problem;
    }

    /// <summary>The rule a 400 validation problem gives for <paramref name="field"/>.</summary>
    public static async Task<string> ValidationRuleAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var rules), $"the problem names no field '{field}': {problem}");
        return rules[0].GetString()!;
    }

    /// <summary>The silo that answered (<c>X-Served-By</c>).</summary>
    public static string ServedBy(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Served-By", out var values) ? values.Single() : throw new Xunit.Sdk.XunitException("no X-Served-By header");
}
