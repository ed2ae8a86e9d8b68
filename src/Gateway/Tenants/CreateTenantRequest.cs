using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Tenants;

/// <summary><c>POST /admin/v1/tenants</c>: <c>{"id"}</c>.</summary>
public sealed record CreateTenantRequest(string Id) : IJsonRequest<CreateTenantRequest>
{
    public static CreateTenantRequest? Read(JsonBody body, HttpContext http)
    {
        string? id = body.String("id", required: true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        return body.HasErrors ? null : new CreateTenantRequest(id!);
    }
}
