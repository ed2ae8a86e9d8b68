using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/subjects</c>: <c>{"subject", "from"?: RFC 3339}</c> (default now).</summary>
public sealed record AddSubjectRequest(string Subject, DateTimeOffset? From) : IJsonRequest<AddSubjectRequest>
{
    public static AddSubjectRequest? Read(JsonBody body, HttpContext http)
    {
        string? subject = body.String("subject", true, 255);
        DateTimeOffset? from = body.Time("from", false);
        return body.HasErrors ? null : new AddSubjectRequest(subject!, from?.ToUniversalTime());
    }
}
