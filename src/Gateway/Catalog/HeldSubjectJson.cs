using Metering.Gateway.Infrastructure;
using Metering.Grains.Subscriptions;

namespace Metering.Gateway.Catalog;

/// <summary>A subject a subscription holds over [<c>from</c>, <c>to</c>) (null: no bound).</summary>
public sealed record HeldSubjectJson(string Subject, string? From, string? To)
{
    public static HeldSubjectJson Of(HeldSubject h)
        => new(h.Subject, h.From == DateTimeOffset.MinValue ? null : Wire.Time(h.From), h.To == DateTimeOffset.MaxValue ? null : Wire.Time(h.To));
}
