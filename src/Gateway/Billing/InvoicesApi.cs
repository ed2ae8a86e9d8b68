using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Metering.Silo.Listing;
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
        runs.MapGet("/", ListRuns).RequireScope(ApiScopes.Read);
        runs.MapGet("/{id}", GetRun).RequireScope(ApiScopes.Read);

        RouteGroupBuilder rerating = app.MapGroup("/v1/rerating-jobs").RequireApiKey();
        rerating.MapPost("/", StartRerating).RequireScope(ApiScopes.Manage);
        rerating.MapGet("/", ListRerating).RequireScope(ApiScopes.Read);
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

    /// <summary><c>GET /v1/invoices?subscription_id=&amp;customer_id=&amp;status=&amp;period_from=&amp;period_to=</c>, in the order they were made.</summary>
    private static async Task<Results<Ok<PageJson<InvoiceJson>>, ApiProblem>> List([AsParameters] PageQuery query, [AsParameters] InvoiceQuery filter,
        HttpContext http, BillingStore store, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        (InvoiceFilter? invoices, ApiError? invalid) = filter.Read();
        return invoices is null
            ? invalid!.ToProblem()
            : TypedResults.Ok(PageJson<InvoiceJson>.Of(await store.InvoicesAsync(http.Tenant(), invoices, page, ct), InvoiceJson.Of));
    }

    private static async Task<Results<Ok<PageJson<BillingRunJson>>, ApiProblem>> ListRuns([AsParameters] PageQuery query, HttpContext http, BillingRunService runs, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<BillingRunJson>.Of(await runs.ListAsync(http.Tenant(), page, ct), BillingRunJson.Of));
    }

    private static async Task<Results<Ok<PageJson<ReratingJobJson>>, ApiProblem>> ListRerating([AsParameters] PageQuery query, HttpContext http, ReratingService rerating, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<ReratingJobJson>.Of(await rerating.ListAsync(http.Tenant(), page, ct), ReratingJobJson.Of));
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
        return TypedResults.Accepted((string?)null, new JobStartedJson(id, JobStatus.Running.ToWire()));
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
            : TypedResults.Accepted((string?)null, new JobStartedJson(job.Id, job.Status.ToWire()));
    }

    private static Task<Results<Ok<ReratingJobJson>, ApiProblem>> GetRerating(string id, HttpContext http, ReratingService rerating, CancellationToken ct)
        => FindAsync(id, "Re-rating job", guid => rerating.GetAsync(http.Tenant(), guid, ct), ReratingJobJson.Of);

    private static ApiProblem Problem(InvoiceOutcome outcome) => outcome.Failure switch
    {
        InvoiceFailure.NotFound => new ApiError(404, ApiError.Codes.NotFound, outcome.Detail!).ToProblem(),
        InvoiceFailure.InvalidPeriod => ApiError.Invalid("period_start", outcome.Detail!).ToProblem(),
        InvoiceFailure.AlreadyExists => new ApiError(409, ApiError.Codes.InvoiceAlreadyExists, outcome.Detail!, null, new { invoice_id = outcome.ExistingId }).ToProblem(),
        InvoiceFailure.SubscriptionEnded => new ApiError(409, ApiError.Codes.SubscriptionEnded, outcome.Detail!).ToProblem(),
        InvoiceFailure.NotDraft => new ApiError(409, ApiError.Codes.InvoiceNotDraft, outcome.Detail!).ToProblem(),
        InvoiceFailure.Voided => new ApiError(409, ApiError.Codes.InvoiceVoided, outcome.Detail!).ToProblem(),
        _ => throw new InvalidOperationException("An invoice outcome without an invoice names its failure."),
    };
}
