using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A meter as the API shows it.</summary>
public sealed record MeterJson(string Code, string EventType, string Aggregation, string? ValueProperty, IReadOnlyList<string> GroupBy, string CreatedAt)
{
    public static MeterJson Of(Meter m) => new(m.Code, m.EventType, m.Aggregation.ToWire(), m.ValueProperty, m.GroupBy, Wire.Time(m.CreatedAt));
}
