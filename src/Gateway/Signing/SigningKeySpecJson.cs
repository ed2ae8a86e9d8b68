using System.Text.Json;

namespace Metering.Gateway.Signing;

/// <summary>A signing key as sent, for the OpenAPI document: <c>secret</c> for hmac-sha256 (generated when absent),
/// <c>public_key</c> (SPKI PEM, or a JWK object for es256) for the others.</summary>
public sealed record SigningKeySpecJson(string Id, string Algorithm, IReadOnlyList<string> Subjects, string? Secret, JsonElement? PublicKey);
