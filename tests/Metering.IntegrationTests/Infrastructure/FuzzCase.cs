namespace Metering.IntegrationTests.Infrastructure;

/// <summary>One generated request: the endpoint it aims at, what was done to the valid request, and the bytes to send.</summary>
/// <param name="Target">The endpoint's <see cref="FuzzTarget.Name"/>.</param>
/// <param name="Kind">What this case does, <c>"text U+0000 at subject"</c>, for a failure to say which case it was.</param>
/// <param name="PathAndQuery">The request target, already percent-encoded.</param>
/// <param name="Body">The body's bytes, or null for none.</param>
/// <param name="ContentType">The Content-Type header as sent (unvalidated), or null for none.</param>
/// <param name="RefusedByServer">The HTTP server refuses the request line (a path with %00) with a bare 400 before the
/// application sees it, so the answer cannot be a problem.</param>
public sealed record FuzzCase(string Target, string Kind, HttpMethod Method, string PathAndQuery, byte[]? Body, string? ContentType, bool Admin, bool RefusedByServer = false)
{
    public override string ToString() => $"{Target} [{Kind}] {PathAndQuery[..Math.Min(PathAndQuery.Length, 120)]} ({Body?.Length ?? 0} bytes, {ContentType ?? "no content type"})";
}
