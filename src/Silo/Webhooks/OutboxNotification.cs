using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>A notification on its way into the outbox: its payload (<see cref="Body"/>, sent as is to every endpoint and on
/// every attempt), the partition whose owner delivers it, and the key that orders it among the same endpoint's deliveries.
/// <see cref="DedupeKey"/>, when set, makes a second insert of the same notification a no-op.</summary>
public sealed record OutboxNotification(Guid Id, string TenantId, NotificationType Type, DateTimeOffset CreatedAt, string Body, int Partition, string OrderKey, string? DedupeKey);
