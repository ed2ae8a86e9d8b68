using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Signing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Signing;
using Microsoft.AspNetCore.Http.HttpResults;

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

    private static async Task<Results<Created<SigningKeyView>, ApiProblem>> Create(JsonRequest<CreateSigningKeyRequest> request, HttpContext http,
        SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        if (!request.TryGet(out CreateSigningKeyRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        if (!r.Algorithm.IsSupported())
        {
            return SignatureProblems.Unsupported(r.AlgorithmName, r.Algorithm == SigningAlgorithm.Ed25519
                ? ".NET's cryptography has no Ed25519; use es256 or hmac-sha256."
                : "this platform's OpenSSL has no ML-DSA (MLDsa.IsSupported is false); use es256 or hmac-sha256.").ToProblem();
        }

        var key = new SigningKey(r.Id, r.Algorithm, r.Subjects, r.PublicKey, r.Secret, time.GetUtcNow(), null);
        if (!await store.CreateAsync(http.Tenant(), key, ct))
        {
            return new ApiError(409, ApiError.Codes.AlreadyExists, $"Signing key '{r.Id}' exists.").ToProblem();
        }

        audit.Record(new AuditEntry(http.Tenant(), key.CreatedAt, "signing_key.created", "api", null,
            JsonSerializer.Serialize(new { key_id = key.Id, algorithm = r.AlgorithmName, subjects = r.Subjects })));
        // A secret the server generated is shown once, here; a secret the caller sent is never echoed.
        return TypedResults.Created((string?)null, View(key) with { Secret = r.Generated ? Base64Url.EncodeToString(r.Secret!) : null });
    }

    private static async Task<Ok<ListJson<SigningKeyView>>> List(HttpContext http, SigningKeyStore store, CancellationToken ct)
    {
        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(http.Tenant(), ct, fresh: true);
        return TypedResults.Ok(new ListJson<SigningKeyView>([.. signing.Keys.Values.Select(View)]));
    }

    private static async Task<Results<Ok<SigningKeyView>, ApiProblem>> Get(string id, HttpContext http, SigningKeyStore store, CancellationToken ct)
    {
        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(http.Tenant(), ct, fresh: true);
        return signing.Keys.TryGetValue(id, out SigningKey? key)
            ? TypedResults.Ok(View(key))
            : ApiError.NotFound($"Signing key '{id}'").ToProblem();
    }

    private static async Task<Results<Ok<SigningKeyView>, ApiProblem>> Revoke(string id, HttpContext http, SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        if (!await store.RevokeAsync(http.Tenant(), id, ct))
        {
            return ApiError.NotFound($"Signing key '{id}'").ToProblem();
        }

        audit.Record(new AuditEntry(http.Tenant(), time.GetUtcNow(), "signing_key.revoked", "api", null, JsonSerializer.Serialize(new { key_id = id })));
        return await Get(id, http, store, ct);
    }

    private static async Task<Ok<SignaturePolicyView>> GetPolicy(HttpContext http, SigningKeyStore store, CancellationToken ct)
        => TypedResults.Ok(new SignaturePolicyView((await store.ForTenantAsync(http.Tenant(), ct, fresh: true)).Policy.WireName()));

    private static async Task<Results<Ok<SignaturePolicyView>, ApiProblem>> SetPolicy(JsonRequest<SignaturePolicyView> request, HttpContext http,
        SigningKeyStore store, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        if (!request.TryGet(out SignaturePolicyView? r, out ApiProblem? problem))
        {
            return problem;
        }

        string name = r.Policy;
        SignaturePolicies.TryParse(name, out SignaturePolicy policy);
        await store.SetPolicyAsync(http.Tenant(), policy, ct);
        audit.Record(new AuditEntry(http.Tenant(), time.GetUtcNow(), "signature_policy.changed", "api", null, JsonSerializer.Serialize(new { policy = name })));
        return TypedResults.Ok(new SignaturePolicyView(name));
    }

    private static SigningKeyView View(SigningKey key) => new(key.Id, key.Algorithm.WireName(), key.Subjects,
        key.PublicKey is null ? null : PemEncoding.WriteString("PUBLIC KEY", key.PublicKey), Wire.Time(key.CreatedAt), Wire.Time(key.RevokedAt), null);
}
