namespace Metering.Silo.Webhooks;

/// <summary>What an update of an endpoint sets; a null field is left as it is.</summary>
public sealed record EndpointChange(string? Url, IReadOnlyList<string>? Events, string? Description, bool? Enabled);
