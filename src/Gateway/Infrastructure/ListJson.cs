namespace Metering.Gateway.Infrastructure;

/// <summary>A list answer, shaped as every list of the API: <c>{"data":[...]}</c>.</summary>
public sealed record ListJson<T>(IReadOnlyList<T> Data);
