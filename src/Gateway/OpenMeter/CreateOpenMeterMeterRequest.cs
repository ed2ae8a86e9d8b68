using System.Text.RegularExpressions;
using Metering.Gateway.Catalog;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.OpenMeter;

/// <summary><c>POST /api/v1/meters</c> in OpenMeter's shape: <c>{"slug","eventType","aggregation","valueProperty"?,"groupBy"?,
/// "name"?,"description"?}</c>. A group-by key must name its own path (<c>{"model":"$.model"}</c>), for Metering names a
/// dimension by its path.</summary>
public sealed partial record CreateOpenMeterMeterRequest(string Slug, string EventType, Aggregation Aggregation, string? ValueProperty, string[] GroupBy)
    : IJsonRequest<CreateOpenMeterMeterRequest>
{
    public static Type Schema => typeof(OpenMeterMeterSpecJson);

    public static CreateOpenMeterMeterRequest? Read(JsonBody body, HttpContext http)
    {
        string? slug = body.String("slug", true, 64, CatalogApi.MeterCodePattern().IsMatch, "'slug' must match [a-z][a-z0-9_]{0,63}.");
        string? eventType = body.String("eventType", true, 64, CatalogApi.EventTypePattern().IsMatch, "'eventType' must match [a-z0-9_.:-]{1,64}.");
        string? aggregationText = body.String("aggregation", true, 32);
        string? valueProperty = body.String("valueProperty", false, 257, JsonPathPattern().IsMatch, "'valueProperty' must be a JSONPath such as $.tokens or $.usage.input_tokens.");
        Aggregation aggregation = Aggregation.Count;
        if (aggregationText is not null && (aggregationText != aggregationText.ToUpperInvariant() || !WireName.TryParseWire(aggregationText.ToLowerInvariant(), out aggregation)))
        {
            body.Fail("aggregation", "'aggregation' must be SUM, COUNT, UNIQUE_COUNT, AVG, MIN, MAX or LATEST.");
        }

        if (aggregationText is not null && aggregation != Aggregation.Count && valueProperty is null)
        {
            body.Fail("valueProperty", "'valueProperty' is required for every aggregation but COUNT.");
        }

        string[] groupBy = ReadGroupBy(body);
        return body.HasErrors ? null : new CreateOpenMeterMeterRequest(slug!, eventType!, aggregation, aggregation == Aggregation.Count ? null : valueProperty![2..], groupBy);
    }

    public Meter ToMeter(DateTimeOffset now) => new(Slug, EventType, Aggregation, ValueProperty, GroupBy, now);

    private static string[] ReadGroupBy(JsonBody body)
    {
        JsonBody? map = body.Object("groupBy", false);
        if (map is null)
        {
            return [];
        }

        var paths = new List<string>();
        foreach ((string name, _) in body.Members("groupBy", map.Root) ?? [])
        {
            string? path = map.String(name, true, 257, JsonPathPattern().IsMatch, $"'groupBy.{name}' must be a JSONPath such as $.model.");
            if (path is not null && path[2..] != name)
            {
                map.Fail(name, $"'groupBy.{name}' must be \"$.{name}\": a group-by key names its own property path.");
            }
            else if (path is not null)
            {
                paths.Add(name);
            }
        }

        if (paths.Count > 16)
        {
            body.Fail("groupBy", "'groupBy' holds at most 16 properties.");
        }

        return [.. paths];
    }

    [GeneratedRegex(@"^\$\.[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")]
    private static partial Regex JsonPathPattern();
}
