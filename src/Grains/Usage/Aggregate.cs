using System.Globalization;
using System.Text.Json;
using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>The running aggregate of one meter over some events: enough to answer every aggregation and to merge.</summary>
public sealed class Aggregate
{
    public long Count { get; set; }

    public decimal Sum { get; set; }

    public decimal? Min { get; set; }

    public decimal? Max { get; set; }

    public decimal? Latest { get; set; }

    public DateTimeOffset LatestAt { get; set; }

    public long LatestSeq { get; set; }

    public HashSet<string>? Uniques { get; set; }

    /// <summary>Adds one event's contribution: a number for sum/avg/min/max/latest, a text value for unique_count, nothing for count.</summary>
    public void Add(Aggregation aggregation, decimal number, string? unique, DateTimeOffset timestamp, long seq)
    {
        Count++;
        switch (aggregation)
        {
            case Aggregation.Sum or Aggregation.Avg:
                Sum = Saturating.Add(Sum, number);
                break;
            case Aggregation.Min:
                Min = Min is null ? number : Math.Min(Min.Value, number);
                break;
            case Aggregation.Max:
                Max = Max is null ? number : Math.Max(Max.Value, number);
                break;
            case Aggregation.Latest:
                if (Latest is null || timestamp > LatestAt || (timestamp == LatestAt && seq > LatestSeq))
                {
                    Latest = number;
                    LatestAt = timestamp;
                    LatestSeq = seq;
                }

                break;
            case Aggregation.UniqueCount:
                (Uniques ??= new HashSet<string>(StringComparer.Ordinal)).Add(unique!);
                break;
        }
    }

    public void Merge(Aggregate other)
    {
        Count += other.Count;
        Sum = Saturating.Add(Sum, other.Sum);
        if (other.Min is not null)
        {
            Min = Min is null ? other.Min : Math.Min(Min.Value, other.Min.Value);
        }

        if (other.Max is not null)
        {
            Max = Max is null ? other.Max : Math.Max(Max.Value, other.Max.Value);
        }

        if (other.Latest is not null && (Latest is null || other.LatestAt > LatestAt || (other.LatestAt == LatestAt && other.LatestSeq > LatestSeq)))
        {
            Latest = other.Latest;
            LatestAt = other.LatestAt;
            LatestSeq = other.LatestSeq;
        }

        if (other.Uniques is not null)
        {
            (Uniques ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(other.Uniques);
        }
    }

    /// <summary>The meter's value; null for min/max/latest/avg over no events.</summary>
    public decimal? Value(Aggregation aggregation) => aggregation switch
    {
        Aggregation.Count => Count,
        Aggregation.Sum => Sum,
        Aggregation.UniqueCount => Uniques?.Count ?? 0,
        Aggregation.Min => Min,
        Aggregation.Max => Max,
        Aggregation.Avg => Count == 0 ? null : Sum / Count,
        _ => Latest,
    };
}
