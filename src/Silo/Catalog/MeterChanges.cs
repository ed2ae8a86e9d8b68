using Metering.Grains.Catalog;

namespace Metering.Silo.Catalog;

/// <summary>An edit of a meter. Name and description change at any time; what decides how events count (event type,
/// aggregation, value property, group by) only while no event of its type exists.</summary>
public sealed record MeterChanges(string? Name = null, string? Description = null, string? EventType = null, Aggregation? Aggregation = null,
    string? ValueProperty = null, IReadOnlyList<string>? GroupBy = null)
{
    public Meter ApplyTo(Meter meter)
    {
        Aggregation aggregation = Aggregation ?? meter.Aggregation;
        // A new record, not `with`: the value path is computed when a meter is made.
        return new Meter(meter.Code, EventType ?? meter.EventType, aggregation,
            aggregation == Grains.Catalog.Aggregation.Count ? null : ValueProperty ?? meter.ValueProperty, GroupBy ?? meter.GroupBy, meter.CreatedAt,
            Name ?? meter.Name, Description ?? meter.Description, meter.ArchivedAt);
    }

    /// <summary>Whether the edit changes how the meter counts events.</summary>
    public bool ChangesCounting(Meter meter)
    {
        Meter after = ApplyTo(meter);
        return after.EventType != meter.EventType || after.Aggregation != meter.Aggregation || after.ValueProperty != meter.ValueProperty
            || !after.GroupBy.SequenceEqual(meter.GroupBy, StringComparer.Ordinal);
    }
}
