using System.Text.Json;
using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Lago;

/// <summary>The body of <c>POST /lago/api/v1/events</c>: <c>{"event":{...}}</c>, kept as JSON to be judged in Lago's words.</summary>
public sealed record LagoEventBody(JsonElement Root) : IJsonRequest<LagoEventBody>
{
    public static Type Schema => typeof(LagoEventInputEnvelope);

    public static LagoEventBody? Read(JsonBody body, HttpContext http) => new(body.Root);
}
