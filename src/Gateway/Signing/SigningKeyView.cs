using System.Text.Json.Serialization;

namespace Metering.Gateway.Signing;

/// <summary>A signing key as the API shows it; <see cref="Secret"/> only once, when the server generated it. Fields that do
/// not apply are left out.</summary>
public sealed record SigningKeyView(
    string Id,
    string Algorithm,
    IReadOnlyList<string> Subjects,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PublicKey,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RevokedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret);
