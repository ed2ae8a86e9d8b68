using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>A delivery a dispatcher may send now, with what it needs to send it: its endpoint as read with it, and the body.</summary>
public sealed record DueDelivery(Guid Id, int Partition, string OrderKey, int Failures, Guid EndpointId, string Url, DateTimeOffset EndpointUpdatedAt, Breaker Breaker, string Body);
