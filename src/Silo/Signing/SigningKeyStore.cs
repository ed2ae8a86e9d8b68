using System.Collections.Concurrent;
using Metering.Grains.Signing;
using Npgsql;

namespace Metering.Silo.Signing;

/// <summary>Signing keys, signature policies and signed nonces in PostgreSQL. A tenant's keys and policy are cached for
/// <see cref="CacheFor"/>, so a key revoked or a policy changed on another silo applies everywhere within that time (at once
/// on the silo that made the change).</summary>
public sealed class SigningKeyStore(NpgsqlDataSource dataSource, SecretProtector protector, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private const string InsertKeySql = """
        INSERT INTO signing_keys (tenant_id, id, algorithm, subjects, public_key, secret, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
        """;

    // The policy and every key in one round trip: a tenant without keys gives one row of nulls after its policy.
    private const string SelectSigningSql = """
        SELECT t.signature_policy, k.id, k.algorithm, k.subjects, k.public_key, k.secret, k.created_at, k.revoked_at
        FROM tenants t LEFT JOIN signing_keys k ON k.tenant_id = t.id
        WHERE t.id = $1 ORDER BY k.id
        """;

    private const string RevokeKeySql = "UPDATE signing_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2";

    private const string UpdatePolicySql = "UPDATE tenants SET signature_policy = $2 WHERE id = $1";

    private const string ClaimNoncesSql = """
        INSERT INTO signature_nonces (tenant_id, key_id, nonce, idempotency_key, expires_at)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
        ON CONFLICT DO NOTHING
        RETURNING key_id, nonce
        """;

    private const string ClaimedNoncesSql = """
        SELECT n.key_id, n.nonce, n.idempotency_key FROM signature_nonces n
        JOIN unnest($2::text[], $3::text[]) AS c(key_id, nonce) ON n.key_id = c.key_id AND n.nonce = c.nonce
        WHERE n.tenant_id = $1
        """;

    private const string PurgeNoncesSql = "DELETE FROM signature_nonces WHERE expires_at < $1";

    private readonly ConcurrentDictionary<string, TenantSigning> _cache = new(StringComparer.Ordinal);

    // Bumped by every change of a tenant's keys or policy: a read that began before the change does not refill the cache.
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);

    /// <summary>A tenant's signing keys (with their secrets decrypted) and policy, as read at <see cref="ReadAt"/>.</summary>
    public sealed record TenantSigning(IReadOnlyDictionary<string, SigningKey> Keys, SignaturePolicy Policy, long ReadAt);

    public async Task<bool> CreateAsync(string tenantId, SigningKey key, CancellationToken cancellationToken)
    {
        byte[]? secret = key.Secret is null ? null : await protector.ProtectAsync(key.Secret, cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertKeySql);
        command.AddPositional(tenantId, key.Id, key.Algorithm.WireName(), key.Subjects.ToArray(),
            key.PublicKey is null ? DBNull.Value : Convert.ToBase64String(key.PublicKey), (object?)secret ?? DBNull.Value, key.CreatedAt);
        bool created = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        Changed(tenantId);
        return created;
    }

    public async Task<bool> RevokeAsync(string tenantId, string id, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(RevokeKeySql);
        command.AddPositional(tenantId, id, time.GetUtcNow());
        bool found = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        Changed(tenantId);
        return found;
    }

    public async Task SetPolicyAsync(string tenantId, SignaturePolicy policy, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(UpdatePolicySql);
        command.AddPositional(tenantId, policy.WireName());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        Changed(tenantId);
    }

    /// <summary>The tenant's keys (revoked ones included, marked) and policy, from the cache while it is fresh (unless
    /// <paramref name="fresh"/>: reads for the API show what is stored).</summary>
    public async ValueTask<TenantSigning> ForTenantAsync(string tenantId, CancellationToken cancellationToken, bool fresh = false)
    {
        if (!fresh && _cache.TryGetValue(tenantId, out TenantSigning? cached) && time.GetElapsedTime(cached.ReadAt) < CacheFor)
        {
            return cached;
        }

        long readAt = time.GetTimestamp();
        long generation = _generations.GetValueOrDefault(tenantId);
        var keys = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        SignaturePolicy policy = SignaturePolicy.VerifyIfPresent;
        await using NpgsqlCommand command = dataSource.CreateCommand(SelectSigningSql);
        command.AddPositional(tenantId);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            SignaturePolicies.TryParse(reader.GetString(0), out policy);
            if (reader.IsDBNull(1))
            {
                continue;
            }

            SigningAlgorithms.TryParse(reader.GetString(2), out SigningAlgorithm algorithm);
            byte[]? secret = reader.IsDBNull(5) ? null : await protector.UnprotectAsync((byte[])reader[5], cancellationToken).ConfigureAwait(false);
            keys[reader.GetString(1)] = new SigningKey(reader.GetString(1), algorithm, (string[])reader[3],
                reader.IsDBNull(4) ? null : Convert.FromBase64String(reader.GetString(4)), secret,
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
        }

        var read = new TenantSigning(keys, policy, readAt);
        if (_generations.GetValueOrDefault(tenantId) == generation)
        {
            _cache[tenantId] = read;
        }

        return read;
    }

    private void Changed(string tenantId)
    {
        _generations.AddOrUpdate(tenantId, 1, (_, g) => g + 1);
        _cache.TryRemove(tenantId, out _);
    }

    /// <summary>Claims each nonce for its key: true when it is new, or was claimed before by the same idempotency key (a
    /// retry of the same event); false when another event used it.</summary>
    public async Task<bool[]> ClaimNoncesAsync(string tenantId, IReadOnlyList<NonceClaim> claims, CancellationToken cancellationToken)
    {
        // Within one request, a nonce belongs to the first event that carries it.
        NonceClaim[] distinct = claims.DistinctBy(c => (c.KeyId, c.Nonce)).ToArray();
        var inserted = new HashSet<(string, string)>();
        await using (NpgsqlCommand insert = dataSource.CreateCommand(ClaimNoncesSql))
        {
            insert.AddPositional(tenantId, distinct.Select(c => c.KeyId).ToArray(), distinct.Select(c => c.Nonce).ToArray(),
                distinct.Select(c => c.IdempotencyKey).ToArray(), distinct.Select(c => c.ExpiresAt).ToArray());
            await using NpgsqlDataReader reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // What was not inserted was claimed before, perhaps by a request committed during this one: read it afresh.
        var conflicts = distinct.Where(c => !inserted.Contains((c.KeyId, c.Nonce))).ToList();
        var owners = distinct.ToDictionary(c => (c.KeyId, c.Nonce), c => c.IdempotencyKey);
        if (conflicts.Count > 0)
        {
            await using NpgsqlCommand select = dataSource.CreateCommand(ClaimedNoncesSql);
            select.AddPositional(tenantId, conflicts.Select(c => c.KeyId).ToArray(), conflicts.Select(c => c.Nonce).ToArray());
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                owners[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }
        }

        return claims.Select(c => owners[(c.KeyId, c.Nonce)] == c.IdempotencyKey).ToArray();
    }

    public async Task<int> PurgeExpiredNoncesAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(PurgeNoncesSql);
        command.AddPositional(time.GetUtcNow());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
