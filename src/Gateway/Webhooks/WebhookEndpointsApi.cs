using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;
using Metering.Silo.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Webhooks;

/// <summary>
/// A tenant's webhook endpoints (<c>/v1/webhook-endpoints</c>), all under the <c>manage</c> scope: register one (its signing
/// secret is shown once), list, get, update (<c>PATCH</c>: url, events, description, <c>"enabled": false</c> to disable),
/// delete (with its deliveries), and rotate the secret (the previous one signing too for a grace). Another tenant's endpoint is 404.
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

    private static async Task<Results<Created<CreatedWebhookEndpointJson>, ApiProblem>> Create(JsonRequest<CreateWebhookEndpointRequest> body, HttpContext http,
        WebhookEndpointStore store, WebhookUrlPolicy policy, CancellationToken ct)
    {
        if (!body.TryGet(out CreateWebhookEndpointRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        if (await RefusedAsync(policy, request.Url, ct) is { } refused)
        {
            return refused;
        }

        (WebhookEndpoint endpoint, string secret) = await store.CreateAsync(http.Tenant(), request.Url, request.Events, request.Description, ct);
        return TypedResults.Created((string?)null, new CreatedWebhookEndpointJson(WebhookEndpointJson.Of(endpoint), secret));
    }

    private static async Task<Results<Ok<PageJson<WebhookEndpointJson>>, ApiProblem>> List([AsParameters] PageQuery query, HttpContext http, WebhookEndpointStore store,
        CancellationToken ct)
    {
        (Silo.Listing.PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<WebhookEndpointJson>.Of(await store.ListAsync(http.Tenant(), page, ct), WebhookEndpointJson.Of));
    }

    private static async Task<Results<Ok<WebhookEndpointJson>, ApiProblem>> Get(string id, HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.GetAsync(http.Tenant(), guid, ct) is { } endpoint
            ? TypedResults.Ok(WebhookEndpointJson.Of(endpoint))
            : NotFound(id).ToProblem();

    private static async Task<Results<Ok<WebhookEndpointJson>, ApiProblem>> Update(string id, JsonRequest<UpdateWebhookEndpointRequest> body, HttpContext http,
        WebhookEndpointStore store, WebhookUrlPolicy policy, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid guid))
        {
            return NotFound(id).ToProblem();
        }

        if (!body.TryGet(out UpdateWebhookEndpointRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        if (request.Url is not null && await RefusedAsync(policy, request.Url, ct) is { } refused)
        {
            return refused;
        }

        WebhookEndpoint? endpoint = await store.UpdateAsync(http.Tenant(), guid, new EndpointChange(request.Url, request.Events, request.Description, request.Enabled), ct);
        return endpoint is null ? NotFound(id).ToProblem() : TypedResults.Ok(WebhookEndpointJson.Of(endpoint));
    }

    private static async Task<Results<NoContent, ApiProblem>> Delete(string id, HttpContext http, WebhookEndpointStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.DeleteAsync(http.Tenant(), guid, ct) ? TypedResults.NoContent() : NotFound(id).ToProblem();

    /// <summary>A new secret; the previous one keeps signing for <c>?expires_in=</c> seconds (0 to 604800, 7 days; default
    /// <see cref="WebhookOptions.SecretGracePeriod"/>), so receivers move to the new one without refusing a delivery.</summary>
    private static async Task<Results<Ok<WebhookSecretJson>, ApiProblem>> RotateSecret(string id, [FromQuery(Name = "expires_in")] string? expiresIn, HttpContext http,
        WebhookEndpointStore store, WebhookOptions options, CancellationToken ct)
    {
        TimeSpan grace = options.SecretGracePeriod;
        if (expiresIn is not null)
        {
            if (!int.TryParse(expiresIn, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) || seconds > MaxSecretGraceSeconds)
            {
                return ApiError.Invalid("expires_in", $"'expires_in' must be a whole number of seconds from 0 to {MaxSecretGraceSeconds}.").ToProblem();
            }

            grace = TimeSpan.FromSeconds(seconds);
        }

        return Guid.TryParse(id, out Guid guid) && await store.RotateSecretAsync(http.Tenant(), guid, grace, ct) is { } rotated
            ? TypedResults.Ok(new WebhookSecretJson(guid, rotated.Secret, Wire.Time(rotated.PreviousExpiresAt)))
            : NotFound(id).ToProblem();
    }

    /// <summary>The longest a rotated secret may keep signing: 7 days.</summary>
    public const int MaxSecretGraceSeconds = 604_800;

    /// <summary>The URL against the address rule: 422 WEBHOOK_URL_REFUSED, naming the field, or null when it may be used.</summary>
    private static async Task<ApiProblem?> RefusedAsync(WebhookUrlPolicy policy, string url, CancellationToken ct)
        => await policy.RefusalAsync(url, ct) is { } refusal
            ? new ApiError(422, ApiError.Codes.WebhookUrlRefused, refusal, new Dictionary<string, string[]> { ["url"] = [refusal] }).ToProblem()
            : null;

    private static ApiError NotFound(string id) => ApiError.NotFound($"Webhook endpoint '{id}'");
}
