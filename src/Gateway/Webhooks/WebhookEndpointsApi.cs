using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;
using Metering.Silo.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

namespace Metering.Gateway.Webhooks;

/// <summary>
/// A tenant's webhook endpoints (<c>/v1/webhook-endpoints</c>), all under the <c>manage</c> scope: register one (its signing
/// secret is shown once), list, get, update (<c>PATCH</c>: url, events, description, <c>"enabled": false</c> to disable),
/// delete (with its deliveries), and rotate the secret. Another tenant's endpoint is 404.
/// </summary>
public static class WebhookEndpointsApi
{
    public static IEndpointRouteBuilder MapWebhookEndpointsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder endpoints = app.MapGroup("/v1/webhook-endpoints").RequireApiKey().RequireScope(ApiScopes.Manage);
        endpoints.MapPost("/", Create);
        endpoints.MapGet("/", List);
        endpoints.MapGet("/{id}", Get);
        endpoints.MapPatch("/{id}", Update);
        endpoints.MapDelete("/{id}", Delete);
        endpoints.MapPost("/{id}/rotate-secret", RotateSecret);
        return app;
    }

    private static async Task<Results<JsonHttpResult<CreatedWebhookEndpointJson>, Problem>> Create(HttpContext http, WebhookEndpointStore store, WebhookUrlPolicy policy,
        CancellationToken ct)
    {
        (WebhookEndpointRequest? request, ApiError? problem) = await ReadAsync(http, policy, create: true, ct);
        if (request is null)
        {
            return problem!.ToProblem();
        }

        (WebhookEndpoint endpoint, string secret) = await store.CreateAsync(http.Tenant(), request.Url!, request.Events!, request.Description, ct);
        return TypedResults.Json(new CreatedWebhookEndpointJson(WebhookEndpointJson.Of(endpoint), secret), Wire.Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<JsonHttpResult<WebhookEndpointList>> List(HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => TypedResults.Json(new WebhookEndpointList([.. (await store.ListAsync(http.Tenant(), ct)).Select(WebhookEndpointJson.Of)]), Wire.Json);

    private static async Task<Results<JsonHttpResult<WebhookEndpointJson>, Problem>> Get(string id, HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.GetAsync(http.Tenant(), guid, ct) is { } endpoint
            ? TypedResults.Json(WebhookEndpointJson.Of(endpoint), Wire.Json)
            : NotFound(id).ToProblem();

    private static async Task<Results<JsonHttpResult<WebhookEndpointJson>, Problem>> Update(string id, HttpContext http, WebhookEndpointStore store, WebhookUrlPolicy policy,
        CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid guid))
        {
            return NotFound(id).ToProblem();
        }

        (WebhookEndpointRequest? request, ApiError? problem) = await ReadAsync(http, policy, create: false, ct);
        if (request is null)
        {
            return problem!.ToProblem();
        }

        WebhookEndpoint? endpoint = await store.UpdateAsync(http.Tenant(), guid, new EndpointChange(request.Url, request.Events, request.Description, request.Enabled), ct);
        return endpoint is null ? NotFound(id).ToProblem() : TypedResults.Json(WebhookEndpointJson.Of(endpoint), Wire.Json);
    }

    private static async Task<Results<NoContent, Problem>> Delete(string id, HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.DeleteAsync(http.Tenant(), guid, ct) ? TypedResults.NoContent() : NotFound(id).ToProblem();

    private static async Task<Results<JsonHttpResult<WebhookSecretJson>, Problem>> RotateSecret(string id, HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.RotateSecretAsync(http.Tenant(), guid, ct) is { } secret
            ? TypedResults.Json(new WebhookSecretJson(guid, secret), Wire.Json)
            : NotFound(id).ToProblem();

    /// <summary>The body, checked field by field (400), then its URL against the address rule (422 WEBHOOK_URL_REFUSED).</summary>
    private static async Task<(WebhookEndpointRequest? Request, ApiError? Problem)> ReadAsync(HttpContext http, WebhookUrlPolicy policy, bool create, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return (null, error);
        }

        WebhookEndpointRequest? request = WebhookEndpointRequest.Read(body, create);
        if (request is null)
        {
            return (null, body.Error);
        }

        string? refusal = request.Url is null ? null : await policy.RefusalAsync(request.Url, ct);
        return refusal is null ? (request, null) : (null, new ApiError(422, ApiError.Codes.WebhookUrlRefused, refusal, new Dictionary<string, string[]> { ["url"] = [refusal] }));
    }

    private static ApiError NotFound(string id) => ApiError.NotFound($"Webhook endpoint '{id}'");
}
