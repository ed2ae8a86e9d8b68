using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Signing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Signing;

namespace Metering.Gateway.Signing;

/// <summary>Signing keys (<c>/v1/signing-keys</c>) and the tenant's signature policy (<c>/v1/settings/signatures</c>).</summary>
public static class SigningKeysApi
{
    private const int MinSecretBytes = 32;

    public static IEndpointRouteBuilder MapSigningKeysApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder v1 = app.MapGroup("/v1").RequireApiKey();
        v1.MapPost("/signing-keys", Create).RequireScope(ApiScopes.Manage);
        v1.MapGet("/signing-keys", List).RequireScope(ApiScopes.Read);
        v1.MapGet("/signing-keys/{id}", Get).RequireScope(ApiScopes.Read);
        v1.MapPost("/signing-keys/{id}/revoke", Revoke).RequireScope(ApiScopes.Manage);
        v1.MapGet("/settings/signatures", GetPolicy).RequireScope(ApiScopes.Read);
        v1.MapPut("/settings/signatures", SetPolicy).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<IResult> Create(HttpContext http, SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

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
            return body.Error.ToResult();
        }

        if (!algorithm.IsSupported())
        {
            return SignatureProblems.Unsupported(algorithmName!, algorithm == SigningAlgorithm.Ed25519
                ? ".NET's cryptography has no Ed25519; use es256 or hmac-sha256."
                : "this platform's OpenSSL has no ML-DSA (MLDsa.IsSupported is false); use es256 or hmac-sha256.").ToResult();
        }

        (byte[]? publicKey, byte[]? secret, bool generated) = KeyMaterial(body, algorithm);
        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        var key = new SigningKey(id!, algorithm, subjects!, publicKey, secret, time.GetUtcNow(), null);
        if (!await store.CreateAsync(http.Tenant(), key, ct))
        {
            return new ApiError(409, "ALREADY_EXISTS", $"Signing key '{id}' exists.").ToResult();
        }

        audit.Record(new AuditEntry(http.Tenant(), key.CreatedAt, "signing_key.created", "api", null,
            JsonSerializer.Serialize(new { key_id = key.Id, algorithm = algorithmName, subjects })));
        // A secret the server generated is shown once, here; a secret the caller sent is never echoed.
        return TypedResults.Json(View(key) with { Secret = generated ? Base64Url.EncodeToString(secret!) : null }, Wire.Compact, statusCode: 201);
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

    private static async Task<IResult> List([AsParameters] PageQuery query, HttpContext http, SigningKeyStore store, CancellationToken ct)
    {
        (Silo.Listing.PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToResult();
        }

        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(http.Tenant(), ct, fresh: true);
        return TypedResults.Json(PageJson<object>.Of(Silo.Listing.Pages.Of(signing.Keys.Values, page, k => k.Id), View), Wire.Compact);
    }

    private static async Task<IResult> Get(string id, HttpContext http, SigningKeyStore store, CancellationToken ct)
    {
        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(http.Tenant(), ct, fresh: true);
        return signing.Keys.TryGetValue(id, out SigningKey? key)
            ? TypedResults.Json(View(key), Wire.Compact)
            : ApiError.NotFound($"Signing key '{id}'").ToResult();
    }

    private static async Task<IResult> Revoke(string id, HttpContext http, SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        if (!await store.RevokeAsync(http.Tenant(), id, ct))
        {
            return ApiError.NotFound($"Signing key '{id}'").ToResult();
        }

        audit.Record(new AuditEntry(http.Tenant(), time.GetUtcNow(), "signing_key.revoked", "api", null, JsonSerializer.Serialize(new { key_id = id })));
        return await Get(id, http, store, ct);
    }

    private static async Task<IResult> GetPolicy(HttpContext http, SigningKeyStore store, CancellationToken ct)
        => TypedResults.Json(new SignaturePolicyView((await store.ForTenantAsync(http.Tenant(), ct, fresh: true)).Policy.WireName()), Wire.Json);

    private static async Task<IResult> SetPolicy(HttpContext http, SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? name = body.String("policy", true, 32);
        if (name is not null && !SignaturePolicies.TryParse(name, out _))
        {
            body.Fail("policy", "'policy' must be off, verify_if_present or required.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        SignaturePolicies.TryParse(name, out SignaturePolicy policy);
        await store.SetPolicyAsync(http.Tenant(), policy, ct);
        audit.Record(new AuditEntry(http.Tenant(), time.GetUtcNow(), "signature_policy.changed", "api", null, JsonSerializer.Serialize(new { policy = name })));
        return TypedResults.Json(new SignaturePolicyView(name!), Wire.Json);
    }

    private static SigningKeyView View(SigningKey key) => new(key.Id, key.Algorithm.WireName(), key.Subjects,
        key.PublicKey is null ? null : PemEncoding.WriteString("PUBLIC KEY", key.PublicKey), Wire.Time(key.CreatedAt), Wire.Time(key.RevokedAt), null);
}

/// <summary>A signing key as the API shows it; <see cref="Secret"/> only once, when the server generated it.</summary>
public sealed record SigningKeyView(string Id, string Algorithm, IReadOnlyList<string> Subjects, string? PublicKey, string CreatedAt, string? RevokedAt, string? Secret);

public sealed record SignaturePolicyView(string Policy);
