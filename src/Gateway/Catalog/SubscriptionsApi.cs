using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

namespace Metering.Gateway.Catalog;

/// <summary>A subscription's lifecycle: <c>POST /v1/subscriptions/{id}/cancel</c>. After the end its events are refused with
/// 409 SUBSCRIPTION_ENDED, its quotas stop, its subjects are free for another subscription, and its last, partial period is
/// invoiced on its own (the fixed fee prorated by day or charged in full, as the plan says).</summary>
public static class SubscriptionsApi
{
    public static IEndpointRouteBuilder MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder subscriptions = app.MapGroup("/v1/subscriptions").RequireApiKey();
        subscriptions.MapPost("/{id}/cancel", Cancel).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Results<JsonHttpResult<object>, Problem>> Cancel(string id, HttpContext http, SubscriptionLifecycleService lifecycle, CatalogStore catalog,
        CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToProblem();
        }

        CancelSubscriptionRequest? request = CancelSubscriptionRequest.Read(body);
        if (request is null)
        {
            return body.Error.ToProblem();
        }

        if (await lifecycle.CancelAsync(http.Tenant(), id, request.At, ct) is not { } done)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToProblem();
        }

        return done.Outcome.Status switch
        {
            CancelStatus.Canceled => TypedResults.Json(CatalogApi.SubscriptionJson(done.After!, catalog.Now), Wire.Json),
            CancelStatus.AlreadyEnded => new ApiError(409, ApiError.Codes.SubscriptionEnded, done.Outcome.Detail!, Extra: new { subscription_id = id }).ToProblem(),
            CancelStatus.EventsAfterEnd => new ApiError(409, ApiError.Codes.EventsAfterEnd, done.Outcome.Detail!).ToProblem(),
            _ => new ApiError(409, ApiError.Codes.PeriodClosed, done.Outcome.Detail!).ToProblem(),
        };
    }
}
