using System.Globalization;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;

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
            return new ApiError(422, ApiError.Codes.AmountOutOfRange, ex.Message).ToResult();
        }
    }

    private static async Task<IResult> Create(HttpContext http, InvoiceService service, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? subscriptionId = body.String("subscription_id", true);
        DateTimeOffset? periodStart = body.Time("period_start", false);
        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        InvoiceOutcome outcome = await service.CreateAsync(http.Tenant(), subscriptionId!, periodStart, ct);
        return outcome.Invoice is { } invoice ? TypedResults.Json(InvoiceJson(invoice), Wire.Compact, statusCode: 201) : Problem(outcome);
    }

    private static Task<IResult> Get(string id, HttpContext http, InvoiceService service, CancellationToken ct)
        => FindAsync(id, "Invoice", guid => service.GetAsync(http.Tenant(), guid, ct), InvoiceJson);

    /// <summary>Answers a GET by id: the entity's JSON, or 404 for an unknown (or malformed) id.</summary>
    private static async Task<IResult> FindAsync<T>(string id, string what, Func<Guid, Task<T?>> find, Func<T, object> json) where T : class
        => Guid.TryParse(id, out Guid guid) && await find(guid) is { } found
            ? TypedResults.Json(json(found), Wire.Compact)
            : ApiError.NotFound($"{what} '{id}'").ToResult();

    private static async Task<IResult> List(HttpContext http, BillingStore store, CancellationToken ct)
    {
        IQueryCollection q = http.Request.Query;
        string? statusText = q["status"];
        InvoiceStatus? status = null;
        if (!string.IsNullOrEmpty(statusText))
        {
            if (!WireName.TryParseWire(statusText, out InvoiceStatus parsed))
            {
                return ApiError.Invalid("status", "'status' must be draft, finalized or voided.").ToResult();
            }

            status = parsed;
        }

        string? subscription = q["subscription_id"];
        IReadOnlyList<Invoice> invoices = await store.InvoicesAsync(http.Tenant(), string.IsNullOrEmpty(subscription) ? null : subscription, status, 1000, ct);
        return TypedResults.Json(new { data = invoices.Select(InvoiceJson) }, Wire.Compact);
    }

    private static async Task<IResult> Command(string id, HttpContext http, Func<string, Guid, CancellationToken, Task<InvoiceOutcome>> command, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid guid))
        {
            return ApiError.NotFound($"Invoice '{id}'").ToResult();
        }

        InvoiceOutcome outcome = await command(http.Tenant(), guid, ct);
        return outcome.Invoice is { } invoice ? TypedResults.Json(InvoiceJson(invoice), Wire.Compact) : Problem(outcome);
    }

    private static async Task<IResult> StartRun(HttpContext http, BillingRunService runs, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        DateTimeOffset? before = body.Time("period_end_before", true);
        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        Guid id = await runs.StartAsync(http.Tenant(), before!.Value, ct);
        return TypedResults.Json(new { id, status = "running" }, Wire.Json, statusCode: 202);
    }

    private static Task<IResult> GetRun(string id, HttpContext http, BillingRunService runs, CancellationToken ct)
        => FindAsync(id, "Billing run", guid => runs.GetAsync(http.Tenant(), guid, ct), BillingRunJson);

    public static object BillingRunJson(BillingRun run) => new
        {
            id = run.Id,
            period_end_before = Wire.Time(run.PeriodEndBefore),
            status = run.Status,
            total = run.Total,
            done = run.Done,
            failed = run.Failed,
            created = run.Created,
            created_at = Wire.Time(run.CreatedAt),
            completed_at = Wire.Time(run.CompletedAt),
        };

    private static async Task<IResult> StartRerating(HttpContext http, ReratingService rerating, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string[]? customers = body.StringArray("customer_ids", true, 1000);
        DateTimeOffset? from = body.Time("from", true);
        DateTimeOffset? to = body.Time("to", true);
        if (customers is { Length: 0 })
        {
            body.Fail("customer_ids", "'customer_ids' must name at least one customer.");
        }

        if (from is not null && to is not null && to <= from)
        {
            body.Fail("to", "'to' must be after 'from'.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        (ReratingJob? job, Guid? conflict) = await rerating.StartAsync(http.Tenant(), customers!, from!.Value, to!.Value, ct);
        return job is null
            ? new ApiError(409, "RERATING_IN_PROGRESS", "A re-rating job overlapping these customers and range is pending or running.", null, new { job_id = conflict }).ToResult()
            : TypedResults.Json(new { id = job.Id, status = job.Status }, Wire.Json, statusCode: 202);
    }

    private static Task<IResult> GetRerating(string id, HttpContext http, ReratingService rerating, CancellationToken ct)
        => FindAsync(id, "Re-rating job", guid => rerating.GetAsync(http.Tenant(), guid, ct), ReratingJson);

    public static object ReratingJson(ReratingJob job) => new
        {
            id = job.Id,
            status = job.Status,
            customer_ids = job.CustomerIds,
            from = Wire.Time(job.From),
            to = Wire.Time(job.To),
            recomputed = job.Recomputed,
            adjustments = job.Adjustments,
            error = job.Error,
            created_at = Wire.Time(job.CreatedAt),
            completed_at = Wire.Time(job.CompletedAt),
        };

    private static IResult Problem(InvoiceOutcome outcome) => outcome.Code switch
    {
        "NOT_FOUND" => new ApiError(404, "NOT_FOUND", outcome.Detail!).ToResult(),
        "INVALID_REQUEST" => ApiError.Invalid("period_start", outcome.Detail!).ToResult(),
        "INVOICE_ALREADY_EXISTS" => new ApiError(409, "INVOICE_ALREADY_EXISTS", outcome.Detail!, null, new { invoice_id = outcome.ExistingId }).ToResult(),
        _ => new ApiError(409, outcome.Code!, outcome.Detail!).ToResult(),
    };

    private static string Money(decimal amount, string currency)
        => amount.ToString("F" + Grains.Pricing.Money.MinorUnits(currency).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static object InvoiceJson(Invoice invoice) => new
    {
        id = invoice.Id,
        kind = invoice.Kind,
        adjusts = invoice.Adjusts,
        subscription_id = invoice.SubscriptionId,
        customer_id = invoice.CustomerId,
        plan = invoice.PlanCode,
        currency = invoice.Currency,
        period_start = Wire.Time(invoice.PeriodStart),
        period_end = Wire.Time(invoice.PeriodEnd),
        status = invoice.Status.ToWire(),
        line_items = invoice.Totals.Lines.Select(l => new
        {
            meter = l.Meter,
            description = l.Description,
            model = l.Model,
            quantity = Wire.Decimal(l.Quantity),
            amount = Money(l.Amount, invoice.Currency),
            breakdown = l.Breakdown.Select(PricingApi.BreakdownJson),
        }),
        subtotal = Money(invoice.Totals.Subtotal, invoice.Currency),
        tax_rate = Wire.Decimal(invoice.Totals.TaxRate),
        tax = Money(invoice.Totals.Tax, invoice.Currency),
        total = Money(invoice.Totals.Total, invoice.Currency),
        created_at = Wire.Time(invoice.CreatedAt),
        finalized_at = Wire.Time(invoice.FinalizedAt),
        voided_at = Wire.Time(invoice.VoidedAt),
    };
}
