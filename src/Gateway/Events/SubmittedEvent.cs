using Metering.Grains.Events;
using Metering.Grains.Signing;

namespace Metering.Gateway.Events;

/// <summary>A valid event as submitted: the event for its subscription, and its signature with the bytes it must cover.</summary>
public sealed record SubmittedEvent(IncomingEvent Event, EventSignature? Signature, byte[]? SignedBytes);
