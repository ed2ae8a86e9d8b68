using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Usage;

namespace Metering.Gateway.Usage;

/// <summary>A meter's usage over a range: the value, the event count, windows, and values per group.</summary>
public sealed record UsageJson(string Meter, string Aggregation, string From, string To, string? Value, long Events, IReadOnlyList<UsageWindowJson> Windows,
    IReadOnlyDictionary<string, Dictionary<string, string?>>? Groups)
{
    public static UsageJson Of(UsageResult r) => new(r.Meter, r.Aggregation.ToWire(), Wire.Time(r.From), Wire.Time(r.To), Wire.Decimal(r.Value), r.Events,
        [.. r.Windows.Select(UsageWindowJson.Of)], GroupsOf(r.Groups));

    public static Dictionary<string, Dictionary<string, string?>>? GroupsOf(IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal?>>? groups)
        => groups?.ToDictionary(g => g.Key, g => g.Value.ToDictionary(v => v.Key, v => Wire.Decimal(v.Value)));
}
