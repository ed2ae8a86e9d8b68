using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/meters</c>: <c>{"code","event_type","aggregation","value_property"?,"group_by"?}</c>.</summary>
public sealed record CreateMeterRequest(string Code, string EventType, Aggregation Aggregation, string? ValueProperty, string[] GroupBy)
    : IJsonRequest<CreateMeterRequest>
{
    public static CreateMeterRequest? Read(JsonBody body, HttpContext http)
    {
        string? code = body.String("code", true, 64, CatalogApi.MeterCodePattern().IsMatch, "'code' must match [a-z][a-z0-9_]{0,63}.");
        string? eventType = body.String("event_type", true, 64, CatalogApi.EventTypePattern().IsMatch, "'event_type' must match [a-z0-9_.:-]{1,64}.");
        string? aggregationText = body.String("aggregation", true, 32);
        string? valueProperty = body.String("value_property", false, 255, CatalogApi.DotPathPattern().IsMatch, "'value_property' must be a dot path such as usage.input_tokens.");
        string[] groupBy = body.StringArray("group_by", false, 16, 255) ?? [];
        Aggregation aggregation = Aggregation.Count;
        if (aggregationText is not null && !WireName.TryParseWire(aggregationText, out aggregation))
        {
            body.Fail("aggregation", "'aggregation' must be count, sum, unique_count, max, min, latest or avg.");
        }

        if (aggregationText is not null && aggregation != Aggregation.Count && valueProperty is null)
        {
            body.Fail("value_property", "'value_property' is required for every aggregation but count.");
        }

        if (groupBy.Any(g => !CatalogApi.DotPathPattern().IsMatch(g)) || groupBy.Distinct().Count() != groupBy.Length)
        {
            body.Fail("group_by", "'group_by' must hold distinct property paths.");
        }

        return body.HasErrors ? null : new CreateMeterRequest(code!, eventType!, aggregation, aggregation == Aggregation.Count ? null : valueProperty, groupBy);
    }
}
