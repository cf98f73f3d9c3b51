using System.Net;
using System.Text;
using LockService.Http;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// Every kind of bad input gets an RFC 9457 problem with the right status and type, naming the field and the rule it
/// broke, and no stack trace; the silo goes on serving.
/// </summary>
[Collection(HttpClusterCollection.Name)]
public sealed class HttpProblemTests(HttpClusterFixture cluster)
{
    public static TheoryData<string, string, string, string> BadLockInputs => new()
    {
        // route, JSON body, field, words of the rule
        { "acquire", """{"owner":"a"}""", "ttl", "ttl is required" },
        { "acquire", """{"ttl":"soon"}""", "ttl", "positive duration" },
        { "acquire", """{"ttl":"0s"}""", "ttl", "positive duration" },
        { "acquire", """{"ttl":"30s","wait":"60s"}""", "wait", "at most 55s" },
        { "acquire", """{"ttl":"30s","wait":"later"}""", "wait", "must be a duration" },
        { "acquire", """{"ttl":"30s","leaseId":"short"}""", "leaseId", "at least 22 characters" },
        { "acquire", """{"ttl":"30s","leaseId":"this lease id has spaces in it"}""", "leaseId", "URL-safe" },
        { "acquire", """{"ttl":"30s","owner":" "}""", "owner", "must not be empty" },
        // The grain's own rule, across the wire: the silo's maximum lease (24 h by default).
        { "acquire", """{"ttl":"48h"}""", "ttl", "at most the configured maximum" },
        { "refresh", """{"ttl":"30s"}""", "leaseId", "leaseId is required" },
        { "release", """{}""", "leaseId", "leaseId is required" },
        { "acquire", """{"ttl":""", "body", "JSON" },
        { "acquire", """{"ttl":30}""", "ttl", "could not be converted" },
        { "acquire", "", "body", "A JSON body is required" },
    };

    [Theory]
    [MemberData(nameof(BadLockInputs))]
    public async Task Bad_lock_input_is_a_validation_problem_naming_the_field_and_rule(string route, string body, string field, string rule)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await cluster.Http(1).PostAsync($"v1/locks/{LockNames.Unique("http-bad")}/{route}", content);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        var errors = problem.GetProperty("errors").GetProperty(field);
        Assert.Contains(rule, errors[0].GetString());
    }

    public static TheoryData<string, string, string> BadSemaphoreInputs => new()
    {
        { """{"ttl":"30s"}""", "max", "max is required" },
        { """{"ttl":"30s","max":0}""", "max", "at least 1" },
        { """{"max":2}""", "ttl", "ttl is required" },
        { """{"ttl":"30s","max":2,"wait":"2m"}""", "wait", "at most 55s" },
    };

    [Theory]
    [MemberData(nameof(BadSemaphoreInputs))]
    public async Task Bad_semaphore_input_is_a_validation_problem_naming_the_field_and_rule(string body, string field, string rule)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await cluster.Http(2).PostAsync($"v1/semaphores/{LockNames.Unique("http-bad")}/acquire", content);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Contains(rule, problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task A_name_over_256_characters_is_a_validation_problem()
    {
        using var response = await cluster.Http(0).PostJsonAsync($"v1/locks/{new string('n', 300)}/acquire", new { ttl = "30s" });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("at most 256 characters", problem.GetProperty("errors").GetProperty("name")[0].GetString());
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_with_413_with_or_without_a_content_length()
    {
        var path = $"v1/locks/{LockNames.Unique("http-big")}/acquire";
        var huge = new { ttl = "30s", owner = new string('x', 70 * 1024) };

        // JsonContent streams the body chunked: the limit is hit while it is read.
        using var chunked = await cluster.Http(0).PostJsonAsync(path, huge);
        using var declared = await cluster.Http(1).PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(huge), Encoding.UTF8, "application/json"));

        await chunked.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "too-large");
        await declared.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "too-large");
        using var after = await cluster.Http(0).PostJsonAsync(path, new { ttl = "30s" });
        Assert.Equal("granted", (await after.OkAsync<LockGrantResponse>()).Outcome);
    }

    [Fact]
    public async Task A_body_sent_as_curl_sends_it_without_a_JSON_content_type_is_read_as_JSON()
    {
        // curl -d '{...}' declares application/x-www-form-urlencoded.
        using var content = new StringContent("""{"ttl":"30s","owner":"curl"}""", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await cluster.Http(0).PostAsync($"v1/locks/{LockNames.Unique("http-curl")}/acquire", content);

        Assert.Equal("curl", (await response.OkAsync<LockGrantResponse>()).Holder);
    }

    [Fact]
    public async Task An_unknown_route_is_a_not_found_problem()
    {
        using var response = await cluster.Http(0).GetAsync("v1/nothing-here");

        await response.ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpClusterFixture.SiloName(0), response.ServedBy());
    }
}
