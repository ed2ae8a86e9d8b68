using System.Text.RegularExpressions;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Http.HttpResults;

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
    public static partial Regex MeterCodePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")]
    public static partial Regex DotPathPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    public static partial Regex CurrencyPattern();

    private static async Task<Results<Created<MeterJson>, ApiProblem>> CreateMeter(JsonRequest<CreateMeterRequest> request, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        if (!request.TryGet(out CreateMeterRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        var meter = new Meter(r.Code, r.EventType, r.Aggregation, r.ValueProperty, r.GroupBy, catalog.Now);
        return await catalog.CreateMeterAsync(http.Tenant(), meter, ct) == CreateResult.Created
            ? TypedResults.Created((string?)null, MeterJson.Of(meter))
            : new ApiError(409, ApiError.Codes.AlreadyExists, $"Meter '{r.Code}' exists.").ToProblem();
    }

    private static async Task<Results<Ok<PageJson<MeterJson>>, ApiProblem>> ListMeters([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<MeterJson>.Of(await catalog.ListMetersAsync(http.Tenant(), page, ct), MeterJson.Of));
    }

    private static async Task<Results<Ok<PageJson<CustomerJson>>, ApiProblem>> ListCustomers([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<CustomerJson>.Of(await catalog.ListCustomersAsync(http.Tenant(), page, ct), CustomerJson.Of));
    }

    private static async Task<Results<Ok<PageJson<PlanJson>>, ApiProblem>> ListPlans([AsParameters] PageQuery query, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null ? error!.ToProblem() : TypedResults.Ok(PageJson<PlanJson>.Of(await catalog.ListPlansAsync(http.Tenant(), page, ct), PlanJson.Of));
    }

    /// <summary><c>GET /v1/subscriptions?customer_id=&amp;plan=&amp;status=active|ended</c>, in id order.</summary>
    private static async Task<Results<Ok<PageJson<SubscriptionJson>>, ApiProblem>> ListSubscriptions([AsParameters] PageQuery query, [AsParameters] SubscriptionFilter filter,
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
        Page<Subscription> found = await catalog.ListSubscriptionsAsync(http.Tenant(), Empty(filter.CustomerId), Empty(filter.Plan), filter.Status, page, ct);
        return TypedResults.Ok(PageJson<SubscriptionJson>.Of(found, s => SubscriptionJson.Of(s, now)));
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static async Task<Results<Ok<MeterJson>, ApiProblem>> GetMeter(string code, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => (await catalog.GetMetersAsync(http.Tenant(), ct)).Find(code) is { } meter
            ? TypedResults.Ok(MeterJson.Of(meter))
            : ApiError.NotFound($"Meter '{code}'").ToProblem();

    private static async Task<Results<Created<CustomerJson>, ApiProblem>> CreateCustomer(JsonRequest<CreateCustomerRequest> request, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        if (!request.TryGet(out CreateCustomerRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        var customer = new Customer(r.Id, r.Name ?? r.Id, r.Currency, r.TaxRate, catalog.Now);
        return await catalog.CreateCustomerAsync(http.Tenant(), customer, ct) == CreateResult.Created
            ? TypedResults.Created((string?)null, CustomerJson.Of(customer))
            : new ApiError(409, ApiError.Codes.AlreadyExists, $"Customer '{r.Id}' exists.").ToProblem();
    }

    private static async Task<Results<Ok<CustomerJson>, ApiProblem>> GetCustomer(string id, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetCustomerAsync(http.Tenant(), id, ct) is { } customer
            ? TypedResults.Ok(CustomerJson.Of(customer))
            : ApiError.NotFound($"Customer '{id}'").ToProblem();

    private static async Task<Results<Created<PlanJson>, ApiProblem>> CreatePlan(JsonRequest<CreatePlanRequest> request, HttpContext http, CatalogStore catalog, CancellationToken ct)
    {
        if (!request.TryGet(out CreatePlanRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        var plan = new Plan(r.Code, r.Currency, r.Interval, r.FixedFee, catalog.Now, r.Proration);
        return await catalog.CreatePlanAsync(http.Tenant(), plan, ct) == CreateResult.Created
            ? TypedResults.Created((string?)null, PlanJson.Of(plan))
            : new ApiError(409, ApiError.Codes.AlreadyExists, $"Plan '{r.Code}' exists.").ToProblem();
    }

    private static async Task<Results<Ok<PlanJson>, ApiProblem>> GetPlan(string code, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetPlanAsync(http.Tenant(), code, ct) is { } plan
            ? TypedResults.Ok(PlanJson.Of(plan))
            : ApiError.NotFound($"Plan '{code}'").ToProblem();

    private static async Task<Results<Created<SubscriptionJson>, ApiProblem>> CreateSubscription(JsonRequest<CreateSubscriptionRequest> request, HttpContext http,
        CatalogStore catalog, CancellationToken ct)
    {
        if (!request.TryGet(out CreateSubscriptionRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        string tenant = http.Tenant();
        Plan? plan = await catalog.GetPlanAsync(tenant, r.Plan, ct);
        if (plan is null)
        {
            return ApiError.NotFound($"Plan '{r.Plan}'").ToProblem();
        }

        if (await catalog.GetCustomerAsync(tenant, r.CustomerId, ct) is null)
        {
            return ApiError.NotFound($"Customer '{r.CustomerId}'").ToProblem();
        }

        var subscription = new Subscription(r.Id, r.CustomerId, plan.Code, plan.Interval, r.StartedAt ?? catalog.Now, r.Subjects, catalog.Now, PlanVersion: plan.Version);
        return await catalog.CreateSubscriptionAsync(tenant, subscription, ct) switch
        {
            CreateResult.Created => TypedResults.Created((string?)null, SubscriptionJson.Of(subscription, catalog.Now)),
            CreateResult.AlreadyExists => new ApiError(409, ApiError.Codes.AlreadyExists, $"Subscription '{r.Id}' exists.").ToProblem(),
            CreateResult.Conflict => new ApiError(409, ApiError.Codes.AlreadyExists, "A subject already belongs to another subscription of this tenant.",
                new Dictionary<string, string[]> { ["subjects"] = ["A subject already belongs to another subscription."] }).ToProblem(),
            _ => ApiError.NotFound("The customer or plan").ToProblem(),
        };
    }

    private static async Task<Results<Ok<SubscriptionJson>, ApiProblem>> GetSubscription(string id, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => await catalog.GetSubscriptionAsync(http.Tenant(), id, ct) is { } subscription
            ? TypedResults.Ok(SubscriptionJson.Of(subscription, catalog.Now))
            : ApiError.NotFound($"Subscription '{id}'").ToProblem();
}
