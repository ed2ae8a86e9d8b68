using System.Security.Cryptography;
using System.Text;

namespace Metering.Grains.Catalog;

/// <summary>The meters of a tenant, with a fingerprint that changes whenever they do.</summary>
public sealed class TenantMeters
{
    public TenantMeters(IReadOnlyList<Meter> meters)
    {
        Meters = meters;
        ByEventType = meters.GroupBy(m => m.EventType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Meter>)g.ToList(), StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (Meter m in meters.OrderBy(m => m.Code, StringComparer.Ordinal))
        {
            text.Append(m.Code).Append('|').Append(m.EventType).Append('|').Append(m.Aggregation).Append('|')
                .Append(m.ValueProperty).Append('|').AppendJoin(',', m.GroupBy).Append('|').Append(m.ArchivedAt?.UtcTicks).Append('\n');
        }

        Fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public IReadOnlyList<Meter> Meters { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<Meter>> ByEventType { get; }

    public string Fingerprint { get; }

    public Meter? Find(string code) => Meters.FirstOrDefault(m => m.Code == code);
}
