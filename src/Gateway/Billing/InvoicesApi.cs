using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Billing;

/// <summary>Invoices, billing runs and re-rating jobs.</summary>
public static class InvoicesApi
{
    public static IEndpointRouteBuilder MapInvoicesApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder invoices = app.MapGroup("/v1/invoices").RequireApiKey();
        invoices.AddEndpointFilter(RefuseAmountsOutOfRange);
        invoices.MapPost("/", Create).RequireScope(ApiScopes.Manage);
        invoices.MapGet("/", List).RequireScope(ApiScopes.Read);
        invoices.MapGet("/{id}", Get).RequireScope(ApiScopes.Read);
        invoices.MapPost("/{id}/finalize", (string id, HttpContext http, InvoiceService service, CancellationToken ct) => Command(id, http, service.FinalizeAsync, ct)).RequireScope(ApiScopes.Manage);
        invoices.MapPost("/{id}/void", (string id, HttpContext http, InvoiceService service, CancellationToken ct) => Command(id, http, service.VoidAsync, ct)).RequireScope(ApiScopes.Manage);
        invoices.MapPost("/{id}/refresh", (string id, HttpContext http, InvoiceService service, CancellationToken ct) => Command(id, http, service.RefreshAsync, ct)).RequireScope(ApiScopes.Manage);

        RouteGroupBuilder runs = app.MapGroup("/v1/billing-runs").RequireApiKey();
        runs.MapPost("/", StartRun).RequireScope(ApiScopes.Manage);
        runs.MapGet("/{id}", GetRun).RequireScope(ApiScopes.Read);

        RouteGroupBuilder rerating = app.MapGroup("/v1/rerating-jobs").RequireApiKey();
        rerating.MapPost("/", StartRerating).RequireScope(ApiScopes.Manage);
        rerating.MapGet("/{id}", GetRerating).RequireScope(ApiScopes.Read);
        return app;
    }

    /// <summary>An invoice whose amounts overflow cannot be priced now or on a retry: a problem, not a server error.</summary>
    private static async ValueTask<object?> RefuseAmountsOutOfRange(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        try
        {
            return await next(invocation);
        }
        catch (AmountOutOfRangeException ex)
        {
            return new ApiError(422, ApiError.Codes.AmountOutOfRange, ex.Message).ToProblem();
        }
    }

    private static async Task<Results<Created<InvoiceJson>, ApiProblem>> Create(JsonRequest<CreateInvoiceRequest> request, HttpContext http, InvoiceService service,
        CancellationToken ct)
    {
        if (!request.TryGet(out CreateInvoiceRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        InvoiceOutcome outcome = await service.CreateAsync(http.Tenant(), r.SubscriptionId, r.PeriodStart, ct);
        return outcome.Invoice is { } invoice ? TypedResults.Created((string?)null, InvoiceJson.Of(invoice)) : Problem(outcome);
    }

    private static Task<Results<Ok<InvoiceJson>, ApiProblem>> Get(string id, HttpContext http, InvoiceService service, CancellationToken ct)
        => FindAsync(id, "Invoice", guid => service.GetAsync(http.Tenant(), guid, ct), InvoiceJson.Of);

    /// <summary>Answers a GET by id: the entity's JSON, or 404 for an unknown (or malformed) id.</summary>
    private static async Task<Results<Ok<TJson>, ApiProblem>> FindAsync<T, TJson>(string id, string what, Func<Guid, Task<T?>> find, Func<T, TJson> json) where T : class
        => Guid.TryParse(id, out Guid guid) && await find(guid) is { } found
            ? TypedResults.Ok(json(found))
            : ApiError.NotFound($"{what} '{id}'").ToProblem();

    private static async Task<Results<Ok<ListJson<InvoiceJson>>, ApiProblem>> List(HttpContext http, BillingStore store, CancellationToken ct)
    {
        IQueryCollection q = http.Request.Query;
        string? statusText = q["status"];
        InvoiceStatus? status = null;
        if (!string.IsNullOrEmpty(statusText))
        {
            if (!WireName.TryParseWire(statusText, out InvoiceStatus parsed))
            {
                return ApiError.Invalid("status", "'status' must be draft, finalized or voided.").ToProblem();
            }

            status = parsed;
        }

        string? subscription = q["subscription_id"];
        IReadOnlyList<Invoice> invoices = await store.InvoicesAsync(http.Tenant(), string.IsNullOrEmpty(subscription) ? null : subscription, status, 1000, ct);
        return TypedResults.Ok(new ListJson<InvoiceJson>([.. invoices.Select(InvoiceJson.Of)]));
    }

    private static async Task<Results<Ok<InvoiceJson>, ApiProblem>> Command(string id, HttpContext http, Func<string, Guid, CancellationToken, Task<InvoiceOutcome>> command,
        CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid guid))
        {
            return ApiError.NotFound($"Invoice '{id}'").ToProblem();
        }

        InvoiceOutcome outcome = await command(http.Tenant(), guid, ct);
        return outcome.Invoice is { } invoice ? TypedResults.Ok(InvoiceJson.Of(invoice)) : Problem(outcome);
    }

    private static async Task<Results<Accepted<JobStartedJson>, ApiProblem>> StartRun(JsonRequest<StartBillingRunRequest> request, HttpContext http,
        BillingRunService runs, CancellationToken ct)
    {
        if (!request.TryGet(out StartBillingRunRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        Guid id = await runs.StartAsync(http.Tenant(), r.PeriodEndBefore, ct);
        return TypedResults.Accepted((string?)null, new JobStartedJson(id, "running"));
    }

    private static Task<Results<Ok<BillingRunJson>, ApiProblem>> GetRun(string id, HttpContext http, BillingRunService runs, CancellationToken ct)
        => FindAsync(id, "Billing run", guid => runs.GetAsync(http.Tenant(), guid, ct), BillingRunJson.Of);

    private static async Task<Results<Accepted<JobStartedJson>, ApiProblem>> StartRerating(JsonRequest<StartReratingRequest> request, HttpContext http,
        ReratingService rerating, CancellationToken ct)
    {
        if (!request.TryGet(out StartReratingRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        (ReratingJob? job, Guid? conflict) = await rerating.StartAsync(http.Tenant(), r.CustomerIds, r.From, r.To, ct);
        return job is null
            ? new ApiError(409, ApiError.Codes.ReratingInProgress, "A re-rating job overlapping these customers and range is pending or running.", null, new { job_id = conflict }).ToProblem()
            : TypedResults.Accepted((string?)null, new JobStartedJson(job.Id, job.Status));
    }

    private static Task<Results<Ok<ReratingJobJson>, ApiProblem>> GetRerating(string id, HttpContext http, ReratingService rerating, CancellationToken ct)
        => FindAsync(id, "Re-rating job", guid => rerating.GetAsync(http.Tenant(), guid, ct), ReratingJobJson.Of);

    private static ApiProblem Problem(InvoiceOutcome outcome) => outcome.Code switch
    {
        ApiError.Codes.NotFound => new ApiError(404, ApiError.Codes.NotFound, outcome.Detail!).ToProblem(),
        ApiError.Codes.InvalidRequest => ApiError.Invalid("period_start", outcome.Detail!).ToProblem(),
        ApiError.Codes.InvoiceAlreadyExists => new ApiError(409, ApiError.Codes.InvoiceAlreadyExists, outcome.Detail!, null, new { invoice_id = outcome.ExistingId }).ToProblem(),
        _ => new ApiError(409, outcome.Code!, outcome.Detail!).ToProblem(),
    };
}
