namespace Metering.Gateway.ApiKeys;

/// <summary>The answer of <c>GET /v1/api-keys</c>, shaped as the other lists: <c>{"data":[...]}</c>.</summary>
public sealed record ApiKeyList(IReadOnlyList<ApiKeyJson> Data);
