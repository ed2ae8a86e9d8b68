using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;


namespace Metering.Gateway.Catalog;

/// <summary>Edits of customers: <c>PATCH /v1/customers/{id}</c> (the currency only while nothing is invoiced to them; a new tax
/// rate applies to invoices made from then on) and <c>DELETE /v1/customers/{id}</c> (refused while they have subscriptions).
/// Both are audited with the customer before and after.</summary>
public static class CustomersApi
{
    public const string UpdatedAction = "customer.updated";
    public const string DeletedAction = "customer.deleted";

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder customers = app.MapGroup("/v1/customers").RequireApiKey();
        customers.MapPatch("/{id}", Update).RequireScope(ApiScopes.Manage);
        customers.MapDelete("/{id}", Delete).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Results<Ok<CustomerJson>, ApiProblem>> Update(string id, JsonRequest<UpdateCustomerRequest> body, HttpContext http, CatalogStore catalog,
        IAuditLog audit, CancellationToken ct)
    {
        if (!body.TryGet(out UpdateCustomerRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        string tenant = http.Tenant();
        (EditOutcome outcome, Customer? before, Customer? after) = await catalog.UpdateCustomerAsync(tenant, id, request.Changes, ct);
        switch (outcome)
        {
            case EditOutcome.NotFound:
                return ApiError.NotFound($"Customer '{id}'").ToProblem();
            case EditOutcome.CurrencyLocked:
                return new ApiError(409, ApiError.Codes.CurrencyLocked, $"Customer '{id}' has invoices in {before!.Currency}: the currency can no longer change.").ToProblem();
        }

        CatalogAudit.Record(audit, tenant, catalog.Now, UpdatedAction, id, CustomerJson.Of(before!), CustomerJson.Of(after!));
        return TypedResults.Ok(CustomerJson.Of(after!));
    }

    private static async Task<Results<Ok<DeletedJson>, ApiProblem>> Delete(string id, HttpContext http, CatalogStore catalog, IAuditLog audit, CancellationToken ct)
    {
        string tenant = http.Tenant();
        (EditOutcome outcome, Customer? deleted) = await catalog.DeleteCustomerAsync(tenant, id, ct);
        switch (outcome)
        {
            case EditOutcome.NotFound:
                return ApiError.NotFound($"Customer '{id}'").ToProblem();
            case EditOutcome.HasSubscriptions:
                return new ApiError(409, ApiError.Codes.HasSubscriptions, $"Customer '{id}' has subscriptions: a customer is deleted only without any.").ToProblem();
        }

        CatalogAudit.Record(audit, tenant, catalog.Now, DeletedAction, id, CustomerJson.Of(deleted!), null);
        return TypedResults.Ok(new DeletedJson(id, true));
    }
}
