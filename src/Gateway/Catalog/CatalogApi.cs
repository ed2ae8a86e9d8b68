using System.Text.RegularExpressions;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Http.HttpResults;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

namespace Metering.Gateway.Catalog;

/// <summary>Meters, customers, plans and subscriptions.</summary>
public static partial class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder v1 = app.MapGroup("/v1").RequireApiKey();
        v1.MapPost("/meters", CreateMeter).RequireScope(ApiScopes.Manage);
        v1.MapGet("/meters", ListMeters).RequireScope(ApiScopes.Read);
        v1.MapGet("/meters/{code}", GetMeter).RequireScope(ApiScopes.Read);
        v1.MapPost("/customers", CreateCustomer).RequireScope(ApiScopes.Manage);
        v1.MapGet("/customers", ListCustomers).RequireScope(ApiScopes.Read);
        v1.MapGet("/customers/{id}", GetCustomer).RequireScope(ApiScopes.Read);
        v1.MapPost("/plans", CreatePlan).RequireScope(ApiScopes.Manage);
        v1.MapGet("/plans", ListPlans).RequireScope(ApiScopes.Read);
        v1.MapGet("/plans/{code}", GetPlan).RequireScope(ApiScopes.Read);
        v1.MapPost("/subscriptions", CreateSubscription).RequireScope(ApiScopes.Manage);
        v1.MapGet("/subscriptions", ListSubscriptions).RequireScope(ApiScopes.Read);
        v1.MapGet("/subscriptions/{id}", GetSubscription).RequireScope(ApiScopes.Read);
        return app;
    }

    [GeneratedRegex("^[a-z0-9_.:-]{1,64}$")]
    public static partial Regex EventTypePattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex MeterCodePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")]
    internal static partial Regex DotPathPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    internal static partial Regex CurrencyPattern();

    private static async Task<IResult> CreateMeter(HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? code = body.String("code", true, 64, MeterCodePattern().IsMatch, "'code' must match [a-z][a-z0-9_]{0,63}.");
        string? eventType = body.String("event_type", true, 64, EventTypePattern().IsMatch, "'event_type' must match [a-z0-9_.:-]{1,64}.");
        string? aggregationText = body.String("aggregation", true, 32);
        string? valueProperty = body.String("value_property", false, 255, DotPathPattern().IsMatch, "'value_property' must be a dot path such as usage.input_tokens.");
        string[] groupBy = body.StringArray("group_by", false, 16, 255) ?? [];
        Aggregation aggregation = Aggregation.Count;
        if (aggregationText is not null && !WireName.TryParseWire(aggregationText, out aggregation))
        {
            body.Fail("aggregation", "'aggregation' must be count, sum, unique_count, max, min or latest.");
        }

        if (aggregationText is not null && aggregation != Aggregation.Count && valueProperty is null)
        {
            body.Fail("value_property", "'value_property' is required for every aggregation but count.");
        }

        if (groupBy.Any(g => !DotPathPattern().IsMatch(g)) || groupBy.Distinct().Count() != groupBy.Length)
        {
            body.Fail("group_by", "'group_by' must hold distinct property paths.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        var meter = new Meter(code!, eventType!, aggregation, aggregation == Aggregation.Count ? null : valueProperty, groupBy, catalog.Now);
        return await catalog.CreateMeterAsync(http.Tenant(), meter, ct) == CreateResult.Created
            ? TypedResults.Json(MeterJson(meter), Wire.Json, statusCode: 201)
            : new ApiError(409, "ALREADY_EXISTS", $"Meter '{code}' exists.").ToResult();
    }

    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListMeters([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null
            ? error!.ToProblem()
            : TypedResults.Json(PageJson<object>.Of(await catalog.ListMetersAsync(http.Tenant(), page, ct), MeterJson), Wire.Json);
    }

    private static async Task<IResult> GetMeter(string code, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => (await catalog.GetMetersAsync(http.Tenant(), ct)).Find(code) is { } meter
            ? TypedResults.Json(MeterJson(meter), Wire.Json)
            : ApiError.NotFound($"Meter '{code}'").ToResult();

    internal static object MeterJson(Meter m) => new
    {
        code = m.Code,
        name = m.Name,
        description = m.Description,
        event_type = m.EventType,
        aggregation = m.Aggregation.ToWire(),
        value_property = m.ValueProperty,
        group_by = m.GroupBy,
        status = m.ArchivedAt is null ? "active" : "archived",
        archived_at = Wire.Time(m.ArchivedAt),
        created_at = Wire.Time(m.CreatedAt),
    };

    private static async Task<IResult> CreateCustomer(HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? id = body.String("id", true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        string? name = body.String("name", false, 255);
        string? currency = body.String("currency", true, 3, CurrencyPattern().IsMatch, "'currency' must be an ISO 4217 code such as USD.");
        decimal taxRate = body.Decimal("tax_rate", false, 0m) ?? 0m;
        if (taxRate > 1m)
        {
            body.Fail("tax_rate", "'tax_rate' is a fraction between 0 and 1 (0.20 for 20%).");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        var customer = new Customer(id!, name ?? id!, currency!, taxRate, catalog.Now);
        return await catalog.CreateCustomerAsync(http.Tenant(), customer, ct) == CreateResult.Created
            ? TypedResults.Json(CustomerJson(customer), Wire.Json, statusCode: 201)
            : new ApiError(409, "ALREADY_EXISTS", $"Customer '{id}' exists.").ToResult();
    }

    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListCustomers([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null
            ? error!.ToProblem()
            : TypedResults.Json(PageJson<object>.Of(await catalog.ListCustomersAsync(http.Tenant(), page, ct), CustomerJson), Wire.Json);
    }

    private static async Task<IResult> GetCustomer(string id, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetCustomerAsync(http.Tenant(), id, ct) is { } customer
            ? TypedResults.Json(CustomerJson(customer), Wire.Json)
            : ApiError.NotFound($"Customer '{id}'").ToResult();

    internal static object CustomerJson(Customer c) => new
    {
        id = c.Id,
        name = c.Name,
        email = c.Email,
        currency = c.Currency,
        tax_rate = Wire.Decimal(c.TaxRate),
        metadata = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(c.MetadataJson),
        created_at = Wire.Time(c.CreatedAt),
    };

    private static async Task<IResult> CreatePlan(HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? code = body.String("code", true, 128, Wire.IsId, "'code' must be 1 to 128 letters, digits or _.:@-");
        string? currency = body.String("currency", true, 3, CurrencyPattern().IsMatch, "'currency' must be an ISO 4217 code such as USD.");
        string? intervalText = body.String("interval", true, 16);
        decimal fixedFee = body.Decimal("fixed_fee", false, 0m) ?? 0m;
        Proration proration = Proration.None;
        body.String("proration", false, 16, v => WireName.TryParseWire(v, out proration), "'proration' must be none or daily.");
        BillingInterval interval = BillingInterval.Month;
        if (intervalText is not null && !WireName.TryParseWire(intervalText, out interval))
        {
            body.Fail("interval", "'interval' must be day, week, month or year.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        var plan = new Plan(code!, currency!, interval, fixedFee, catalog.Now, proration);
        return await catalog.CreatePlanAsync(http.Tenant(), plan, ct) == CreateResult.Created
            ? TypedResults.Json(PlanJson(plan), Wire.Json, statusCode: 201)
            : new ApiError(409, "ALREADY_EXISTS", $"Plan '{code}' exists.").ToResult();
    }

    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListPlans([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null
            ? error!.ToProblem()
            : TypedResults.Json(PageJson<object>.Of(await catalog.ListPlansAsync(http.Tenant(), page, ct), PlanJson), Wire.Json);
    }

    private static async Task<IResult> GetPlan(string code, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetPlanAsync(http.Tenant(), code, ct) is { } plan
            ? TypedResults.Json(PlanJson(plan), Wire.Json)
            : ApiError.NotFound($"Plan '{code}'").ToResult();

    internal static object PlanJson(Plan p) => new
    {
        code = p.Code,
        currency = p.Currency,
        interval = p.Interval.ToWire(),
        fixed_fee = Wire.Decimal(p.FixedFee),
        proration = p.Proration.ToWire(),
        created_at = Wire.Time(p.CreatedAt),
    };

    private static async Task<IResult> CreateSubscription(HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string tenant = http.Tenant();
        string? id = body.String("id", true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        string? customerId = body.String("customer_id", true, 128);
        string? planCode = body.String("plan", true, 128);
        DateTimeOffset startedAt = body.Time("started_at", false) ?? catalog.Now;
        string[]? subjects = body.StringArray("subjects", true, 100, 255);
        if (subjects is { Length: 0 })
        {
            body.Fail("subjects", "'subjects' must hold at least one subject.");
        }

        if (subjects is not null && subjects.Distinct(StringComparer.Ordinal).Count() != subjects.Length)
        {
            body.Fail("subjects", "'subjects' must be distinct.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        Plan? plan = await catalog.GetPlanAsync(tenant, planCode!, ct);
        if (plan is null)
        {
            return ApiError.NotFound($"Plan '{planCode}'").ToResult();
        }

        if (await catalog.GetCustomerAsync(tenant, customerId!, ct) is null)
        {
            return ApiError.NotFound($"Customer '{customerId}'").ToResult();
        }

        var subscription = new Subscription(id!, customerId!, plan.Code, plan.Interval, startedAt, subjects!, catalog.Now);
        return await catalog.CreateSubscriptionAsync(tenant, subscription, ct) switch
        {
            CreateResult.Created => TypedResults.Json(SubscriptionJson(subscription, catalog.Now), Wire.Json, statusCode: 201),
            CreateResult.AlreadyExists => new ApiError(409, "ALREADY_EXISTS", $"Subscription '{id}' exists.").ToResult(),
            CreateResult.Conflict => new ApiError(409, "ALREADY_EXISTS", "A subject already belongs to another subscription of this tenant.",
                new Dictionary<string, string[]> { ["subjects"] = ["A subject already belongs to another subscription."] }).ToResult(),
            _ => ApiError.NotFound("The customer or plan").ToResult(),
        };
    }

    /// <summary><c>GET /v1/subscriptions?customer_id=&amp;plan=&amp;status=active|ended</c>, in id order.</summary>
    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListSubscriptions([AsParameters] PageQuery query, [AsParameters] SubscriptionFilter filter,
        HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        if (filter.Status is not (null or "active" or "ended"))
        {
            return ApiError.Invalid("status", "'status' must be active or ended.").ToProblem();
        }

        DateTimeOffset now = catalog.Now;
        Page<Subscription> found = await catalog.ListSubscriptionsAsync(http.Tenant(), filter.CustomerId, filter.Plan, filter.Status, page, ct);
        return TypedResults.Json(PageJson<object>.Of(found, s => SubscriptionJson(s, now)), Wire.Json);
    }

    private static async Task<IResult> GetSubscription(string id, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetSubscriptionAsync(http.Tenant(), id, ct) is { } subscription
            ? TypedResults.Json(SubscriptionJson(subscription, catalog.Now), Wire.Json)
            : ApiError.NotFound($"Subscription '{id}'").ToResult();

    internal static object SubscriptionJson(Subscription s, DateTimeOffset now)
    {
        BillingPeriod period = s.PeriodAt(now);
        return new
        {
            id = s.Id,
            customer_id = s.CustomerId,
            plan = s.PlanCode,
            status = s.HasEndedBy(now) ? "ended" : "active",
            started_at = Wire.Time(s.StartedAt),
            ended_at = Wire.Time(s.EndedAt),
            subjects = s.Subjects,
            current_period = new { start = Wire.Time(period.Start), end = Wire.Time(period.End) },
        };
    }
}
