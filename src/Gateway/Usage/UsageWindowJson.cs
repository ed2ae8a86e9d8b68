using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Usage;

namespace Metering.Gateway.Usage;

/// <summary>One window of a usage answer; <see cref="Groups"/> only when the query groups.</summary>
public sealed record UsageWindowJson(string Start, string End, string? Value, long Events,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, Dictionary<string, string?>>? Groups)
{
    public static UsageWindowJson Of(UsageWindowResult w) => new(Wire.Time(w.Start), Wire.Time(w.End), Wire.Decimal(w.Value), w.Events, UsageJson.GroupsOf(w.Groups));
}
