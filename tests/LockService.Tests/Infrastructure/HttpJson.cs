using System.Net;
using System.Text.Json;

namespace LockService.Tests.Infrastructure;

/// <summary>Reading the HTTP API's answers as JSON in tests, beside <see cref="HttpApi"/>.</summary>
public static class HttpJson
{
    /// <summary>The JSON body of a response; fails with the body when the status is not <paramref name="expected"/>.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The rule a 400 validation problem gives for <paramref name="field"/> (failing when it names no such field).</summary>
    public static async Task<string> ValidationRuleAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var rules), $"the problem names no field '{field}': {problem}");
        return rules[0].GetString()!;
    }
}
