using System.Text.Json.Nodes;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>One write endpoint as <see cref="RequestFuzzer"/> sees it: where it is, and the valid requests its malformed ones
/// are made from, so that a mutation of one field still reaches the checks behind the first.</summary>
/// <param name="Name">How the endpoint is reported, <c>"PUT /v1/subscriptions/{id}/quotas/{meter}"</c>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path, with <c>{name}</c> for each of <paramref name="PathValues"/>.</param>
/// <param name="PathValues">A valid value of each path parameter (an existing resource of the fuzzed tenant).</param>
/// <param name="Bodies">Valid bodies, each from a key unique to the case (for idempotency keys and new ids), so that a valid
/// body is accepted once per case rather than refused as a duplicate. Empty for an endpoint that reads no body.</param>
/// <param name="Query">A valid query string (name, value) of an endpoint that takes its input there.</param>
/// <param name="OptionalText">Optional text fields the valid bodies leave out (a signature that would not verify, say), added
/// only by the cases aimed at each of them.</param>
/// <param name="Admin">Called with the admin key rather than the tenant's.</param>
/// <param name="Oversized">Also sent a body over the 5 MiB limit.</param>
public sealed record FuzzTarget(
    string Name,
    HttpMethod Method,
    string Path,
    IReadOnlyDictionary<string, string> PathValues,
    IReadOnlyList<Func<string, JsonObject>> Bodies,
    IReadOnlyList<(string Name, string Value)>? Query = null,
    IReadOnlyDictionary<string, string>? OptionalText = null,
    bool Admin = false,
    bool Oversized = false);
