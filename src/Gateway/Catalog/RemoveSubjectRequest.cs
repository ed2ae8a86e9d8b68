using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/subjects/{subject}/remove</c>: <c>{"at"?: RFC 3339}</c>; without it, now (after the
/// subject's newest accepted event).</summary>
public sealed record RemoveSubjectRequest(DateTimeOffset? At) : IJsonRequest<RemoveSubjectRequest>
{
    public static RemoveSubjectRequest? Read(JsonBody body, HttpContext http)
    {
        DateTimeOffset? at = body.Time("at", false);
        return body.HasErrors ? null : new RemoveSubjectRequest(at?.ToUniversalTime());
    }
}
