using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Silo.ApiKeys;
using Metering.Silo.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Webhooks;

/// <summary>
/// Deliveries of notifications (<c>/v1/webhook-deliveries</c>): list (<c>read</c>; <c>?status=pending|delivered|failed</c>,
/// <c>failed</c> being the dead-letter queue, <c>?endpoint_id=</c>, newest first, paged as every list), get one with
/// every attempt and the payload, and retry a failed one (<c>manage</c>): it is pending again with a fresh schedule.
/// </summary>
public static class WebhookDeliveriesApi
{
    public static IEndpointRouteBuilder MapWebhookDeliveriesApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder deliveries = app.MapGroup("/v1/webhook-deliveries").RequireApiKey();
        deliveries.MapGet("/", List).RequireScope(ApiScopes.Read);
        deliveries.MapGet("/{id}", Get).RequireScope(ApiScopes.Read);
        deliveries.MapPost("/{id}/retry", Retry).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Results<Ok<PageJson<WebhookDeliveryJson>>, ApiProblem>> List([AsParameters] PageQuery query, HttpContext http, WebhookDeliveryStore store,
        string? status, string? endpoint_id, CancellationToken ct)
    {
        DeliveryStatus parsed = default;
        if (status is not null && !WireName.TryParseWire(status, out parsed))
        {
            return ApiError.Invalid("status", "'status' must be pending, delivered or failed.").ToProblem();
        }

        Guid endpoint = default;
        if (endpoint_id is not null && !Guid.TryParse(endpoint_id, out endpoint))
        {
            return ApiError.Invalid("endpoint_id", "'endpoint_id' must be an endpoint's id.").ToProblem();
        }

        (Silo.Listing.PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        Silo.Listing.Page<WebhookDelivery> found = await store.ListAsync(http.Tenant(), status is null ? null : parsed, endpoint_id is null ? null : endpoint, page, ct);
        return TypedResults.Ok(PageJson<WebhookDeliveryJson>.Of(found, WebhookDeliveryJson.Of));
    }

    private static async Task<Results<Ok<WebhookDeliveryJson>, ApiProblem>> Get(string id, HttpContext http, WebhookDeliveryStore store, CancellationToken ct)
        => Guid.TryParse(id, out Guid guid) && await store.GetAsync(http.Tenant(), guid, ct) is { } delivery
            ? TypedResults.Ok(WebhookDeliveryJson.Of(delivery))
            : NotFound(id).ToProblem();

    /// <summary>A failed delivery is queued again (202); a pending one is answered as it is (200); a delivered one is 409.</summary>
    private static async Task<Results<Ok<WebhookDeliveryJson>, Accepted<WebhookDeliveryJson>, ApiProblem>> Retry(string id, HttpContext http, WebhookDeliveryStore store, WebhookDispatcher dispatcher,
        CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid guid))
        {
            return NotFound(id).ToProblem();
        }

        (RetryOutcome outcome, WebhookDelivery? delivery) = await store.RetryAsync(http.Tenant(), guid, ct);
        switch (outcome)
        {
            case RetryOutcome.NotFound:
                return NotFound(id).ToProblem();
            case RetryOutcome.Delivered:
                return new ApiError(409, ApiError.Codes.WebhookDeliveryDelivered, $"Webhook delivery '{id}' was delivered; a retry would send it again.").ToProblem();
            case RetryOutcome.Retried:
                dispatcher.Wake();
                return TypedResults.Accepted((string?)null, WebhookDeliveryJson.Of(delivery!));
            default:
                return TypedResults.Ok(WebhookDeliveryJson.Of(delivery!));
        }
    }

    private static ApiError NotFound(string id) => ApiError.NotFound($"Webhook delivery '{id}'");
}
