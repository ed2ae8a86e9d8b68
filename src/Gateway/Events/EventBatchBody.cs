using System.Text.Json;
using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Events;

/// <summary><c>POST /v1/events/batch</c>: <c>{"events":[...]}</c>, each event judged on its own.</summary>
public sealed record EventBatchBody(JsonElement Events) : IJsonRequest<EventBatchBody>
{
    public static Type Schema => typeof(EventBatchJson);

    public static EventBatchBody? Read(JsonBody body, HttpContext http)
    {
        if (!JsonBody.TryGetMember(body.Root, "events", out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            body.Fail("events", "'events' must be an array of events.");
            return null;
        }

        return new EventBatchBody(array);
    }
}
