using System.Security.Cryptography;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Events;
using Metering.Grains.Signing;
using Metering.Silo.Audit;
using Metering.Silo.Signing;

namespace Metering.Gateway.Signing;

/// <summary>Applies the tenant's signature policy to submitted events before anything is stored: verifies each signature
/// (before looking at its subject, so a forger learns nothing about keys), then claims the nonces of the good ones. An
/// event that fails gets its problem; the others go on.</summary>
public sealed class SignatureCheck(SigningKeyStore store, AuditSummary audit)
{
    private const int ParallelFrom = 64;

    public async Task<ApiError?[]> CheckAsync(string tenant, IReadOnlyList<SubmittedEvent> events, CancellationToken cancellationToken)
    {
        var problems = new ApiError?[events.Count];
        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (signing.Policy == SignaturePolicy.Off)
        {
            return problems;
        }

        // Verifying is the costly step (about 50 µs for es256): a large batch spreads it over the cores.
        var judged = new (ApiError? Problem, NonceClaim? Claim)[events.Count];
        if (events.Count >= ParallelFrom)
        {
            Parallel.For(0, events.Count, i => judged[i] = Judge(tenant, signing, events[i]));
        }
        else
        {
            for (int i = 0; i < events.Count; i++)
            {
                judged[i] = Judge(tenant, signing, events[i]);
            }
        }

        var claims = new List<(int Index, NonceClaim Claim)>();
        for (int i = 0; i < events.Count; i++)
        {
            problems[i] = judged[i].Problem;
            if (judged[i].Claim is { } claim)
            {
                claims.Add((i, claim));
            }
        }

        if (claims.Count > 0)
        {
            bool[] accepted = await store.ClaimNoncesAsync(tenant, [.. claims.Select(c => c.Claim)], cancellationToken).ConfigureAwait(false);
            for (int c = 0; c < claims.Count; c++)
            {
                problems[claims[c].Index] = accepted[c] ? null : SignatureProblems.Replayed(claims[c].Claim.KeyId);
            }
        }

        return problems;
    }

    /// <summary>Checks the signature of a batch signed as a whole (<see cref="BatchSigningInput"/>) against the tenant's policy:
    /// null when the batch may go on, else the one problem that refuses all of it. One verification vouches for every event;
    /// the key must be registered for each event's subject, and the nonce is claimed for this batch's exact bytes, so the same
    /// batch sent again is a retry (its events answer as duplicates) while other bytes under the same nonce are a replay.</summary>
    public async Task<ApiError?> CheckBatchAsync(string tenant, EventSignature signature, byte[] signedBytes, IReadOnlyList<SubmittedEvent> events, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        SigningKeyStore.TenantSigning signing = await store.ForTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (signing.Policy == SignaturePolicy.Off)
        {
            return null;
        }

        if (Failure(signing, signature, signedBytes) is { } failure)
        {
            audit.Record(tenant, "signature.rejected", "signing_key:" + signature.KeyId, null,
                new Dictionary<string, string> { ["reason"] = failure, ["batch_events"] = events.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            return SignatureProblems.InvalidSignature(failure);
        }

        SigningKey key = signing.Keys[signature.KeyId];
        if (events.FirstOrDefault(e => !key.CanSign(e.Event.Subject)) is { } foreign)
        {
            return SignatureProblems.NotForSubject(key.Id, foreign.Event.Subject);
        }

        string owner = "batch:" + Convert.ToHexStringLower(SHA256.HashData(signedBytes));
        var claim = new NonceClaim(key.Id, signature.Nonce, owner, receivedAt + EventValidator.MaxFutureSkew + EventValidator.MaxAge);
        bool[] accepted = await store.ClaimNoncesAsync(tenant, [claim], cancellationToken).ConfigureAwait(false);
        return accepted[0] ? null : SignatureProblems.Replayed(key.Id);
    }

    /// <summary>The event's problem, or the nonce it claims once its signature holds. Safe on any thread (the audit summary is).</summary>
    private (ApiError? Problem, NonceClaim? Claim) Judge(string tenant, SigningKeyStore.TenantSigning signing, SubmittedEvent submitted)
    {
        IncomingEvent e = submitted.Event;
        if (submitted.Signature is not { } signature)
        {
            return (signing.Policy == SignaturePolicy.Required ? SignatureProblems.SignatureRequired() : null, null);
        }

        if (Failure(signing, signature, submitted.SignedBytes!) is { } failure)
        {
            audit.Record(tenant, "signature.rejected", "signing_key:" + signature.KeyId, e.Subject,
                new Dictionary<string, string> { ["reason"] = failure, ["idempotency_key"] = e.IdempotencyKey });
            return (SignatureProblems.InvalidSignature(failure), null);
        }

        SigningKey key = signing.Keys[signature.KeyId];
        if (!key.CanSign(e.Subject))
        {
            return (SignatureProblems.NotForSubject(key.Id, e.Subject), null);
        }

        // The nonce is remembered for as long as an event of this timestamp is accepted at all.
        return (null, new NonceClaim(key.Id, signature.Nonce, e.IdempotencyKey, e.Timestamp + EventValidator.MaxAge));
    }

    /// <summary>Why <paramref name="signature"/> does not hold over <paramref name="signedBytes"/>, or null when it does: an
    /// unknown, revoked or other-algorithm key, or a signature that does not verify.</summary>
    private static string? Failure(SigningKeyStore.TenantSigning signing, EventSignature signature, byte[] signedBytes)
        => !signing.Keys.TryGetValue(signature.KeyId, out SigningKey? key) ? $"There is no signing key '{signature.KeyId}'."
            : key.RevokedAt is not null ? $"Signing key '{key.Id}' was revoked."
            : signature.Algorithm != key.Algorithm.WireName() ? $"Signing key '{key.Id}' signs with {key.Algorithm.WireName()}, not {signature.Algorithm}."
            : !SignatureVerifier.Verify(key, signedBytes, signature.Value) ? "The signature does not match what was sent; nothing was stored."
            : null;
}
