using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Signing;

namespace Metering.Gateway.Signing;

/// <summary><c>POST /v1/signing-keys</c>: <c>{"id","algorithm","subjects","secret"?}</c> (hmac-sha256) or
/// <c>{"id","algorithm","subjects","public_key"}</c> (SPKI PEM, or for es256 a JWK). An algorithm this platform cannot verify
/// is read no further: the handler refuses it.</summary>
public sealed record CreateSigningKeyRequest(string Id, string AlgorithmName, SigningAlgorithm Algorithm, string[] Subjects, byte[]? PublicKey, byte[]? Secret, bool Generated)
    : IJsonRequest<CreateSigningKeyRequest>
{
    private const int MinSecretBytes = 32;

    public static Type Schema => typeof(SigningKeySpecJson);

    public static CreateSigningKeyRequest? Read(JsonBody body, HttpContext http)
    {
        string? id = body.String("id", true, 128, Wire.IsId, "'id' must match [A-Za-z0-9_.:@-]{1,128}.");
        string? algorithmName = body.String("algorithm", true, 32);
        string[]? subjects = body.StringArray("subjects", true, 1000, 255);
        if (subjects is { Length: 0 })
        {
            body.Fail("subjects", "'subjects' must name at least one subject, or \"*\" for all.");
        }

        SigningAlgorithm algorithm = default;
        if (algorithmName is not null && !SigningAlgorithms.TryParse(algorithmName, out algorithm))
        {
            body.Fail("algorithm", $"'algorithm' must be one of {string.Join(", ", SigningAlgorithms.Names)}.");
        }

        if (body.HasErrors)
        {
            return null;
        }

        if (!algorithm.IsSupported())
        {
            return new CreateSigningKeyRequest(id!, algorithmName!, algorithm, subjects!, null, null, false);
        }

        (byte[]? publicKey, byte[]? secret, bool generated) = KeyMaterial(body, algorithm);
        return body.HasErrors ? null : new CreateSigningKeyRequest(id!, algorithmName!, algorithm, subjects!, publicKey, secret, generated);
    }

    /// <summary>An HMAC key's secret (sent as text of at least 32 bytes, or generated when absent), or an asymmetric key's
    /// public key (SPKI PEM, or for es256 a JWK object).</summary>
    private static (byte[]? PublicKey, byte[]? Secret, bool Generated) KeyMaterial(JsonBody body, SigningAlgorithm algorithm)
    {
        if (algorithm == SigningAlgorithm.HmacSha256)
        {
            string? text = body.String("secret", false, 1024);
            if (text is null)
            {
                return (null, RandomNumberGenerator.GetBytes(MinSecretBytes), !body.HasErrors);
            }

            byte[] secret = Encoding.UTF8.GetBytes(text);
            if (secret.Length < MinSecretBytes)
            {
                body.Fail("secret", $"'secret' must be at least {MinSecretBytes} bytes; leave it out to have one generated.");
            }

            return (null, secret, false);
        }

        string? problem = null;
        byte[]? publicKey;
        if (body.Root.TryGetProperty("public_key", out JsonElement jwk) && jwk.ValueKind == JsonValueKind.Object && algorithm == SigningAlgorithm.Es256)
        {
            bool ec = jwk.TryGetProperty("kty", out JsonElement kty) && kty.ValueKind == JsonValueKind.String && kty.GetString() == "EC"
                && jwk.TryGetProperty("crv", out JsonElement crv) && crv.ValueKind == JsonValueKind.String && crv.GetString() == "P-256";
            publicKey = ec ? SignatureVerifier.ReadEs256Jwk(Member(jwk, "x"), Member(jwk, "y"), out problem) : null;
            problem = ec ? problem : "'public_key' as a JWK must have \"kty\":\"EC\" and \"crv\":\"P-256\".";
        }
        else
        {
            string? pem = body.String("public_key", true, 16384);
            publicKey = pem is null ? null : SignatureVerifier.ReadPublicKey(algorithm, pem, out problem);
            problem = pem is null ? null : problem;
        }

        if (problem is not null)
        {
            body.Fail("public_key", problem);
        }

        return (publicKey, null, false);
    }

    private static string? Member(JsonElement json, string name)
        => json.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
