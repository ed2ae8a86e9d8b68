using System.Text.Json;
using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Lago;

/// <summary>The body of <c>POST /lago/api/v1/events/batch</c>: <c>{"events":[...]}</c>, kept as JSON to be judged in Lago's words.</summary>
public sealed record LagoBatchBody(JsonElement Root) : IJsonRequest<LagoBatchBody>
{
    public static Type Schema => typeof(LagoBatchInputEnvelope);

    public static LagoBatchBody? Read(JsonBody body, HttpContext http) => new(body.Root);
}
