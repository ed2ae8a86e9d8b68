using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Billing;

/// <summary><c>POST /v1/rerating-jobs</c>: <c>{"customer_ids","from","to"}</c>.</summary>
public sealed record StartReratingRequest(string[] CustomerIds, DateTimeOffset From, DateTimeOffset To) : IJsonRequest<StartReratingRequest>
{
    public static StartReratingRequest? Read(JsonBody body, HttpContext http)
    {
        string[]? customers = body.StringArray("customer_ids", true, 1000);
        DateTimeOffset? from = body.Time("from", true);
        DateTimeOffset? to = body.Time("to", true);
        if (customers is { Length: 0 })
        {
            body.Fail("customer_ids", "'customer_ids' must name at least one customer.");
        }

        if (from is not null && to is not null && to <= from)
        {
            body.Fail("to", "'to' must be after 'from'.");
        }

        return body.HasErrors ? null : new StartReratingRequest(customers!, from!.Value, to!.Value);
    }
}
