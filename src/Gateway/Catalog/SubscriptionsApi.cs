using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;


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
        subscriptions.MapPost("/{id}/change-plan", ChangePlan).RequireScope(ApiScopes.Manage);
        subscriptions.MapPost("/{id}/subjects", AddSubject).RequireScope(ApiScopes.Manage);
        subscriptions.MapPost("/{id}/subjects/{subject}/remove", RemoveSubject).RequireScope(ApiScopes.Manage);
        return app;
    }

    /// <summary>Moves the subscription to another plan of the same currency and interval, now (from the next whole UTC hour) or at
    /// the end of the current period; usage before the change is priced on the old plan, after it on the new one.</summary>
    private static async Task<Results<Ok<SubscriptionJson>, ApiProblem>> ChangePlan(string id, JsonRequest<ChangePlanRequest> body, HttpContext http,
        SubscriptionLifecycleService lifecycle, CatalogStore catalog, CancellationToken ct)
    {
        if (!body.TryGet(out ChangePlanRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        PlanChangeOutcome outcome = await lifecycle.ChangePlanAsync(http.Tenant(), id, request.Change, ct);
        return outcome.Result switch
        {
            PlanChangeResult.Changed => TypedResults.Ok(SubscriptionJson.Of(outcome.After!, catalog.Now)),
            PlanChangeResult.SubscriptionNotFound => ApiError.NotFound($"Subscription '{id}'").ToProblem(),
            PlanChangeResult.PlanNotFound => ApiError.NotFound($"Plan '{request.Change.PlanCode}'").ToProblem(),
            PlanChangeResult.BeforeStart => ApiError.Invalid("at", $"The change must come after the subscription's start.").ToProblem(),
            PlanChangeResult.SamePlan => ApiError.Invalid("plan", $"Subscription '{id}' is on plan '{request.Change.PlanCode}' then already.").ToProblem(),
            PlanChangeResult.PlanNotCompatible => new ApiError(409, ApiError.Codes.PlanNotCompatible,
                $"Plan '{request.Change.PlanCode}' bills in another currency or interval than the subscription's plan.").ToProblem(),
            PlanChangeResult.Ended => new ApiError(409, ApiError.Codes.SubscriptionEnded, $"Subscription '{id}' ends before the change.", Extra: new { subscription_id = id }).ToProblem(),
            _ => new ApiError(409, ApiError.Codes.PeriodClosed, $"A finalized invoice of subscription '{id}' covers time after the change; void it first.").ToProblem(),
        };
    }

    /// <summary>The subscription holds the subject from <c>from</c> (default now) until its end; events stamped from then on are its own.</summary>
    private static async Task<Results<Ok<ListJson<HeldSubjectJson>>, ApiProblem>> AddSubject(string id, JsonRequest<AddSubjectRequest> body, HttpContext http,
        SubscriptionLifecycleService lifecycle, CancellationToken ct)
        => body.TryGet(out AddSubjectRequest? request, out ApiProblem? problem)
            ? Answer(id, request.Subject, await lifecycle.ChangeSubjectAsync(http.Tenant(), id, request.Subject, add: true, request.From, ct))
            : problem;

    /// <summary>The subscription stops holding the subject at <c>at</c> (default now, after the subject's newest accepted event).</summary>
    private static async Task<Results<Ok<ListJson<HeldSubjectJson>>, ApiProblem>> RemoveSubject(string id, string subject, JsonRequest<RemoveSubjectRequest> body,
        HttpContext http, SubscriptionLifecycleService lifecycle, CancellationToken ct)
        => body.TryGet(out RemoveSubjectRequest? request, out ApiProblem? problem)
            ? Answer(id, subject, await lifecycle.ChangeSubjectAsync(http.Tenant(), id, subject, add: false, request.At, ct))
            : problem;

    private static Results<Ok<ListJson<HeldSubjectJson>>, ApiProblem> Answer(string id, string subject, (SubjectChangeOutcome Outcome, IReadOnlyList<HeldSubject> Held)? done)
        => done?.Outcome.Status switch
        {
            null => ApiError.NotFound($"Subscription '{id}'").ToProblem(),
            SubjectChangeStatus.Done => TypedResults.Ok(new ListJson<HeldSubjectJson>([.. done.Value.Held.Select(HeldSubjectJson.Of)])),
            SubjectChangeStatus.Taken => new ApiError(409, ApiError.Codes.AlreadyExists, $"Another subscription holds '{subject}' then.",
                new Dictionary<string, string[]> { ["subject"] = ["Another subscription holds this subject then."] }).ToProblem(),
            SubjectChangeStatus.Ended => new ApiError(409, ApiError.Codes.SubscriptionEnded, $"Subscription '{id}' ends by then.", Extra: new { subscription_id = id }).ToProblem(),
            SubjectChangeStatus.EventsAfter => new ApiError(409, ApiError.Codes.EventsAfterEnd, $"Events of '{subject}' stamped after that time were accepted.").ToProblem(),
            _ => ApiError.NotFound($"Subject '{subject}' of subscription '{id}' at that time").ToProblem(),
        };

    private static async Task<Results<Ok<SubscriptionJson>, ApiProblem>> Cancel(string id, JsonRequest<CancelSubscriptionRequest> body, HttpContext http,
        SubscriptionLifecycleService lifecycle, CatalogStore catalog, CancellationToken ct)
    {
        if (!body.TryGet(out CancelSubscriptionRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        if (await lifecycle.CancelAsync(http.Tenant(), id, request.At, ct) is not { } done)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToProblem();
        }

        return done.Outcome.Status switch
        {
            CancelStatus.Canceled => TypedResults.Ok(SubscriptionJson.Of(done.After!, catalog.Now)),
            CancelStatus.AlreadyEnded => new ApiError(409, ApiError.Codes.SubscriptionEnded, done.Outcome.Detail!, Extra: new { subscription_id = id }).ToProblem(),
            CancelStatus.EventsAfterEnd => new ApiError(409, ApiError.Codes.EventsAfterEnd, done.Outcome.Detail!).ToProblem(),
            _ => new ApiError(409, ApiError.Codes.PeriodClosed, done.Outcome.Detail!).ToProblem(),
        };
    }
}
