using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Signing;

namespace Metering.Gateway.Events;

/// <summary><c>POST /v1/events/batch</c>: <c>{"events":[...], "signature"?}</c>, each event judged on its own; a
/// <c>signature</c> beside the events signs the batch as a whole (<see cref="BatchSigningInput"/>).</summary>
public sealed record EventBatchBody(JsonElement Events, EventSignature? Signature) : IJsonRequest<EventBatchBody>
{
    public static Type Schema => typeof(EventBatchJson);

    public static EventBatchBody? Read(JsonBody body, HttpContext http)
    {
        if (!JsonBody.TryGetMember(body.Root, "events", out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            body.Fail("events", "'events' must be an array of events.");
            return null;
        }

        if (!JsonBody.TryGetMember(body.Root, "signature", out JsonElement json) || json.ValueKind == JsonValueKind.Null)
        {
            return new EventBatchBody(array, null);
        }

        var errors = new Dictionary<string, string[]>();
        EventSignature? signature = EventValidator.ReadSignature(json, errors);
        foreach ((string field, string[] messages) in errors)
        {
            body.Fail(field, messages[0]);
        }

        return signature is null ? null : new EventBatchBody(array, signature);
    }
}
