namespace Metering.Gateway.Infrastructure;

/// <summary>The shape of every problem (RFC 9457), for the OpenAPI document; <see cref="Problems"/> writes it. Some problems
/// add members of their own (<c>event_id</c>, <c>invoice_id</c>, <c>required_scope</c>).</summary>
public sealed record ProblemBody(string Type, string Title, int Status, string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors);
