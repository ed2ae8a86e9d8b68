using System.Text.Json;
using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Events;

/// <summary><c>POST /v1/events</c>: one event, kept as JSON until it is judged after authentication (its tenant's signing
/// keys and policy decide part of it).</summary>
public sealed record EventBody(JsonElement Json) : IJsonRequest<EventBody>
{
    public static Type Schema => typeof(EventJson);

    public static EventBody? Read(JsonBody body, HttpContext http) => new(body.Root);
}
