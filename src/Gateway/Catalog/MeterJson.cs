using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A meter as the API shows it; <c>status</c> is <c>active</c> or <c>archived</c>.</summary>
public sealed record MeterJson(string Code, string? Name, string? Description, string EventType, string Aggregation, string? ValueProperty, IReadOnlyList<string> GroupBy,
    string Status, string? ArchivedAt, string CreatedAt)
{
    public static MeterJson Of(Meter m) => new(m.Code, m.Name, m.Description, m.EventType, m.Aggregation.ToWire(), m.ValueProperty, m.GroupBy,
        m.ArchivedAt is null ? "active" : "archived", Wire.Time(m.ArchivedAt), Wire.Time(m.CreatedAt));
}
