using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;

namespace Metering.Gateway.Catalog;

/// <summary>Audits a change of the catalog with the resource as it was and as it is (null for one created or deleted).</summary>
public static class CatalogAudit
{
    public static void Record(IAuditLog audit, string tenant, DateTimeOffset at, string action, string subject, object? before, object? after)
        => audit.Record(new AuditEntry(tenant, at, action, "api", subject, JsonSerializer.Serialize(new { before, after }, Wire.Json)));
}
