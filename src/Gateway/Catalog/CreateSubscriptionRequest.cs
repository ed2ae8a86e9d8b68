using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/subscriptions</c>: <c>{"id","customer_id","plan","started_at"?,"subjects"}</c>.</summary>
public sealed record CreateSubscriptionRequest(string Id, string CustomerId, string Plan, DateTimeOffset? StartedAt, string[] Subjects)
    : IJsonRequest<CreateSubscriptionRequest>
{
    public static CreateSubscriptionRequest? Read(JsonBody body, HttpContext http)
    {
        string? id = body.String("id", true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        string? customerId = body.String("customer_id", true, 128);
        string? planCode = body.String("plan", true, 128);
        DateTimeOffset? startedAt = body.Time("started_at", false);
        string[]? subjects = body.StringArray("subjects", true, 100, 255);
        if (subjects is { Length: 0 })
        {
            body.Fail("subjects", "'subjects' must hold at least one subject.");
        }

        if (subjects is not null && subjects.Distinct(StringComparer.Ordinal).Count() != subjects.Length)
        {
            body.Fail("subjects", "'subjects' must be distinct.");
        }

        return body.HasErrors ? null : new CreateSubscriptionRequest(id!, customerId!, planCode!, startedAt, subjects!);
    }
}
