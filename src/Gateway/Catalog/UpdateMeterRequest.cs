using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary><c>PATCH /v1/meters/{code}</c>: <c>{"name"?, "description"?, "event_type"?, "aggregation"?, "value_property"?, "group_by"?}</c>.
/// The last four change how events count: refused once events of the meter's type exist.</summary>
public sealed record UpdateMeterRequest(MeterChanges Changes) : IJsonRequest<UpdateMeterRequest>
{
    public static UpdateMeterRequest? Read(JsonBody body, HttpContext http)
    {
        string? name = body.String("name", false, 255);
        string? description = body.String("description", false, 1000);
        string? eventType = body.String("event_type", false, 64, CatalogApi.EventTypePattern().IsMatch, "'event_type' must match [a-z0-9_.:-]{1,64}.");
        Aggregation? aggregation = null;
        body.String("aggregation", false, 32, v => WireName.TryParseWire(v, out Aggregation parsed) && (aggregation = parsed) is not null,
            "'aggregation' must be count, sum, unique_count, max, min or latest.");
        string? valueProperty = body.String("value_property", false, 255, CatalogApi.DotPathPattern().IsMatch, "'value_property' must be a dot path such as usage.input_tokens.");
        string[]? groupBy = body.StringArray("group_by", false, 16, 255);
        if (groupBy is not null && (groupBy.Any(g => !CatalogApi.DotPathPattern().IsMatch(g)) || groupBy.Distinct().Count() != groupBy.Length))
        {
            body.Fail("group_by", "'group_by' must hold distinct property paths.");
        }

        return body.HasErrors ? null : new UpdateMeterRequest(new MeterChanges(name, description, eventType, aggregation, valueProperty, groupBy));
    }

    /// <summary>The edited meter is whole: every aggregation but count reads a value property.</summary>
    public static bool IsWhole(Meter meter) => meter.Aggregation == Aggregation.Count || meter.ValueProperty is not null;
}
