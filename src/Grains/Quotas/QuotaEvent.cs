using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.Grains.Quotas;

/// <summary>An ingested event of a quota's meter, read for that meter (<see cref="Counts"/> is false when its value is missing or
/// not numeric), as the subscription grain passes it on after the commit or the log returns it.</summary>
public sealed record QuotaEvent(long Seq, string IdempotencyKey, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, bool Counts, decimal Number, string? Unique)
{
    public static QuotaEvent Read(Meter meter, long seq, string idempotencyKey, DateTimeOffset timestamp, DateTimeOffset receivedAt, JsonElement properties)
    {
        bool counts = MeterReading.TryRead(meter, properties, out decimal number, out string? unique);
        return new QuotaEvent(seq, idempotencyKey, timestamp, receivedAt, counts, number, unique);
    }
}
