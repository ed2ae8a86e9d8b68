namespace Metering.Grains.Pricing;

/// <summary>Periods of a subscription whose invoice is finalized (or being finalized): events in them are refused.</summary>
public interface IClosedPeriods
{
    Task<IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>> ListAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);
}
