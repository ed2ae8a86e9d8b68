using System.Reflection;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.IntegrationTests;

/// <summary>The OpenAPI document at /openapi/v1.json: generated from the endpoints, it lists every route with its method,
/// every problem code, and describes bodies as the API really writes them.</summary>
[Collection(AppCollection.Name)]
public sealed class OpenApiTests(AppFixture app)
{
    private async Task<JsonElement> DocumentAsync()
    {
        using HttpClient anonymous = app.Client();
        (int status, JsonElement document) = await anonymous.GetJsonAsync("/openapi/v1.json");
        Assert.Equal(200, status);
        return document;
    }

    [Fact]
    public async Task The_document_is_openapi_3_1_and_lists_every_route_of_the_app_with_its_methods()
    {
        JsonElement document = await DocumentAsync();
        Assert.StartsWith("3.1", document.Str("openapi"), StringComparison.Ordinal);
        JsonElement paths = document.GetProperty("paths");
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(e => e.RoutePattern.RawText != ApiDocument.Path)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Path: Normalize(e.RoutePattern.RawText!), Method: m.ToLowerInvariant())))
            .ToList();
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");
        var missing = routes.Where(r => !paths.TryGetProperty(r.Path, out JsonElement item) || !item.TryGetProperty(r.Method, out _)).ToList();
        Assert.True(missing.Count == 0, "not in the document: " + string.Join(", ", missing.Select(m => $"{m.Method} {m.Path}")));
        // Nothing the app does not serve (the internal endpoints between silos are left out).
        int documented = paths.EnumerateObject().Sum(p => p.Value.EnumerateObject().Count());
        Assert.Equal(routes.Distinct().Count(), documented);
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.StartsWith("/internal", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/v1/subscriptions/{id}/usage", "get", "meter,from,to,window,group_by")]
    [InlineData("/api/v1/meters/{idOrSlug}/query", "get", "from,to,windowSize,windowTimeZone,subject,groupBy")]
    [InlineData("/lago/api/v1/customers/{externalCustomerId}/current_usage", "get", "external_subscription_id")]
    [InlineData("/v1/quotas/check", "get", "subject,meter,amount")]
    [InlineData("/v1/subscriptions", "get", "limit,starting_after,customer_id,plan,status")]
    [InlineData("/v1/invoices", "get", "limit,starting_after,customer_id,status")]
    [InlineData("/v1/webhook-deliveries", "get", "limit,starting_after,status,endpoint_id")]
    [InlineData("/v1/webhook-endpoints/{id}/rotate-secret", "post", "expires_in")]
    [InlineData("/admin/v1/dashboard/traffic", "get", "scope")]
    public async Task The_query_parameters_of_an_endpoint_are_in_the_document(string path, string method, string names)
    {
        JsonElement operation = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method);
        string[] documented = operation.TryGetProperty("parameters", out JsonElement parameters)
            ? [.. parameters.EnumerateArray().Where(p => p.Str("in") == "query").Select(p => p.Str("name"))]
            : [];
        Assert.All(names.Split(','), name => Assert.Contains(name, documented));
    }

    [Fact]
    public async Task Every_problem_code_has_a_title_and_is_listed_in_the_document()
    {
        string[] codes = typeof(ApiError.Codes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();
        Assert.Contains(ApiError.Codes.DuplicateEvent, codes);
        Assert.All(codes, c => Assert.True(Problems.Titles.ContainsKey(c), $"{c} has no title"));
        Assert.Equal(codes.Order(), Problems.Titles.Keys.Order());

        JsonElement problem = (await DocumentAsync()).GetProperty("components").GetProperty("schemas").GetProperty(nameof(ProblemBody));
        string[] listed = problem.GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(codes.Order(), listed.Order());
        Assert.Equal(["code", "detail", "errors", "status", "title", "type"], problem.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Bodies_answers_and_problems_are_described_as_the_api_writes_them()
    {
        JsonElement document = await DocumentAsync();
        JsonElement createMeter = document.GetProperty("paths").GetProperty("/v1/meters").GetProperty("post");
        JsonElement request = Resolve(document, createMeter.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["aggregation", "code", "event_type", "group_by", "value_property"], request.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        JsonElement created = Resolve(document, createMeter.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(createMeter.GetProperty("responses").GetProperty("409").GetProperty("content").TryGetProperty(ApiProblem.ContentType, out _));

        using HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement meter) = await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n" });
        Assert.Equal(201, status);
        Assert.Equal(created.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(), meter.EnumerateObject().Select(p => p.Name).Order());

        // An event is described by its fields, though it is judged after authentication.
        JsonElement ingest = document.GetProperty("paths").GetProperty("/v1/events").GetProperty("post");
        JsonElement eventSchema = Resolve(document, ingest.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(eventSchema.GetProperty("properties").TryGetProperty("idempotency_key", out _));
        Assert.True(document.GetProperty("paths").GetProperty("/v1/events/batch").GetProperty("post").GetProperty("responses").TryGetProperty("207", out _));
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
        => schema.TryGetProperty("$ref", out JsonElement reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..])
            : schema;

    private static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
}
