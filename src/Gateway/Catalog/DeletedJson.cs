namespace Metering.Gateway.Catalog;

/// <summary>What a delete answers: the id, and that it is gone.</summary>
public sealed record DeletedJson(string Id, bool Deleted);
