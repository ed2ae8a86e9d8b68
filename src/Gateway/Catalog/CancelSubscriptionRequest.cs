using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Silo.Subscriptions;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/cancel</c>: <c>{"at": "now" | "period_end" | RFC 3339}</c> (default now).</summary>
public sealed record CancelSubscriptionRequest(CancelAt At) : IJsonRequest<CancelSubscriptionRequest>
{
    public static CancelSubscriptionRequest? Read(JsonBody body, HttpContext http)
    {
        if (!JsonBody.TryGetMember(body.Root, "at", out JsonElement at) || at.ValueKind == JsonValueKind.Null)
        {
            return new CancelSubscriptionRequest(new CancelAt(CancelMode.Now));
        }

        string? text = body.String("at", false, 64);
        CancelAt? parsed = text switch
        {
            null => null,
            "now" => new CancelAt(CancelMode.Now),
            "period_end" => new CancelAt(CancelMode.PeriodEnd),
            _ when Wire.TryParseTime(text, out DateTimeOffset instant) => new CancelAt(CancelMode.At, instant.ToUniversalTime()),
            _ => null,
        };
        if (parsed is null && !body.HasErrors)
        {
            body.Fail("at", "'at' must be \"now\", \"period_end\" or an RFC 3339 timestamp.");
        }

        return body.HasErrors ? null : new CancelSubscriptionRequest(parsed!);
    }
}
