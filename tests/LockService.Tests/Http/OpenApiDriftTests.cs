using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// <c>docs/openapi.json</c> is the API's published contract: it must be what a running silo serves at
/// <c>/openapi/v1.json</c>, so a route or message changed without the document fails here.
/// </summary>
[Collection(HttpClusterCollection.Name)]
public sealed class OpenApiDriftTests(HttpClusterFixture cluster)
{
    /// <summary>Set to 1 to write the served document to docs/openapi.json instead of only comparing.</summary>
    public const string UpdateVariable = "LOCKS_UPDATE_OPENAPI";

    public const string RegenerateCommand = $"{UpdateVariable}=1 bash scripts/test.sh --filter FullyQualifiedName~OpenApiDriftTests";

    private static string Committed => Path.Combine(RepositoryPaths.Root, "docs", "openapi.json");

    [Fact]
    public async Task The_committed_OpenAPI_document_is_the_one_a_running_silo_serves()
    {
        using var response = await cluster.Http(1).GetAsync("openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /openapi/v1.json answered {(int)response.StatusCode}: {text}");
        var served = JsonNode.Parse(text)!;
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(Committed, served.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        }

        Assert.True(File.Exists(Committed), $"docs/openapi.json is missing. Generate it with: {RegenerateCommand}");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Committed));
        Assert.True(
            JsonNode.DeepEquals(served, committed),
            $"docs/openapi.json differs from the document a running silo serves at /openapi/v1.json, first at {FirstDifference(committed, served, "$")}. " +
            $"If the API change is intended, regenerate it with: {RegenerateCommand}, and commit docs/openapi.json.");
    }

    private static string FirstDifference(JsonNode? committed, JsonNode? served, string path)
    {
        switch (committed, served)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                {
                    if (!JsonNode.DeepEquals(a[key], b[key]))
                    {
                        return FirstDifference(a[key], b[key], $"{path}.{key}");
                    }
                }

                break;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                for (var i = 0; i < a.Count; i++)
                {
                    if (!JsonNode.DeepEquals(a[i], b[i]))
                    {
                        return FirstDifference(a[i], b[i], $"{path}[{i}]");
                    }
                }

                break;
        }

        return $"{path} (committed: {Short(committed)}; served: {Short(served)})";
    }

    private static string Short(JsonNode? node)
    {
        var json = node?.ToJsonString() ?? "absent";
        return json.Length > 120 ? json[..120] + "..." : json;
    }
}
