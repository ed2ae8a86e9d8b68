using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Metering.Silo.Listing;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.ApiKeys;

/// <summary>API keys and the tenant rate limit that authentication reads with them, in PostgreSQL. A key is stored as the
/// ASCII of its hex SHA-256 (as since the first migration), with a short prefix to tell keys apart.</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, [FromKeyedServices(AccessClock.Key)] TimeProvider clock) : IApiKeyLookup
{
    private const string InsertSql = """
        INSERT INTO api_keys (key_hash, tenant_id, prefix, scopes, description, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id
        """;

    private const string GrantSql = """
        SELECT k.id, k.tenant_id, k.prefix, k.scopes, k.expires_at, k.revoked_at, t.rate_limit_per_second, t.rate_limit_burst
        FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.key_hash = $1
        """;

    private const string KeyColumns = "id, prefix, scopes, description, created_at, expires_at, last_used_at, revoked_at";

    private const string ListSql = "SELECT " + KeyColumns + """
         FROM api_keys WHERE tenant_id = $1
          AND ($2::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM api_keys WHERE tenant_id = $1 AND id::text = $2))
        ORDER BY created_at, id LIMIT $3
        """;

    private const string SelectSql = "SELECT " + KeyColumns + " FROM api_keys WHERE tenant_id = $1 AND id = $2";

    // Only a key not yet revoked is updated, so a second revoke keeps the first one's time and is not audited again.
    private const string RevokeSql = "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING " + KeyColumns;

    // Several silos write the same key's last use; the latest wins whatever order the writes arrive in.
    private const string TouchSql = """
        UPDATE api_keys k SET last_used_at = u.at
        FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
        """;

    private const string SetRateLimitSql = "UPDATE tenants SET rate_limit_per_second = $2, rate_limit_burst = $3 WHERE id = $1";

    private const string GetRateLimitSql = "SELECT rate_limit_per_second, rate_limit_burst FROM tenants WHERE id = $1";

    /// <summary>The time of API access, to the microsecond PostgreSQL keeps, so a key answered at creation reads back the same.</summary>
    public DateTimeOffset Now => ToMicroseconds(clock.GetUtcNow());

    public static DateTimeOffset ToMicroseconds(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Makes a key for the tenant; its secret is returned once and stored only hashed.</summary>
    public async Task<IssuedApiKey> CreateAsync(string tenantId, ApiScopes scopes, string? description, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        string secret = ApiKeySecrets.NewKey();
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        ApiKey key = await InsertAsync(connection, null, tenantId, secret, scopes, description, expiresAt, Now, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("A new random API key collided with an existing one.");
        return new IssuedApiKey(key, secret);
    }

    /// <summary>Inserts a key in the caller's transaction (a tenant and its first key are made together); null when a key
    /// with the same secret exists.</summary>
    internal static async Task<ApiKey?> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string tenantId, string secret, ApiScopes scopes,
        string? description, DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string prefix = ApiKeySecrets.Prefix(secret);
        now = ToMicroseconds(now);
        expiresAt = expiresAt is { } expires ? ToMicroseconds(expires) : null;
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.AddPositional(HashBytes(ApiKeySecrets.Hash(secret)), tenantId, prefix, scopes.ToNames(), (object?)description ?? DBNull.Value,
            now, (object?)expiresAt ?? DBNull.Value);
        command.Parameters[4].NpgsqlDbType = NpgsqlDbType.Text;
        command.Parameters[6].NpgsqlDbType = NpgsqlDbType.TimestampTz;
        object? id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return id is Guid keyId ? new ApiKey(keyId, prefix, scopes, description, now, expiresAt, null, null) : null;
    }

    public async Task<ApiKeyGrant?> FindAsync(string keyHash, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(GrantSql);
        command.AddPositional(HashBytes(keyHash));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ApiKeyGrant(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), ApiScopeNames.FromNames(reader.GetFieldValue<string[]>(3)),
            OptionalTime(reader, 4), OptionalTime(reader, 5), ReadRateLimit(reader, 6));
    }

    /// <summary>A page of the tenant's keys, revoked and expired ones too, oldest first.</summary>
    public Task<Page<ApiKey>> ListAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
        => Pages.ReadAsync(dataSource, ListSql, [tenantId], page, ReadKey, k => k.Id.ToString(), cancellationToken);

    /// <summary>Revokes the tenant's key now. A key of another tenant is <see cref="RevokeOutcome.NotFound"/>.</summary>
    public async Task<(RevokeOutcome Outcome, ApiKey? Key)> RevokeAsync(string tenantId, Guid keyId, CancellationToken cancellationToken = default)
    {
        await using (NpgsqlCommand revoke = dataSource.CreateCommand(RevokeSql))
        {
            revoke.AddPositional(tenantId, keyId, Now);
            IReadOnlyList<ApiKey> revoked = await ReadKeysAsync(revoke, cancellationToken).ConfigureAwait(false);
            if (revoked.Count == 1)
            {
                return (RevokeOutcome.Revoked, revoked[0]);
            }
        }

        await using NpgsqlCommand select = dataSource.CreateCommand(SelectSql);
        select.AddPositional(tenantId, keyId);
        IReadOnlyList<ApiKey> existing = await ReadKeysAsync(select, cancellationToken).ConfigureAwait(false);
        return existing.Count == 1 ? (RevokeOutcome.AlreadyRevoked, existing[0]) : (RevokeOutcome.NotFound, null);
    }

    /// <summary>Records when keys were last used (one statement for any number of keys).</summary>
    public async Task TouchAsync(IReadOnlyList<(Guid KeyId, DateTimeOffset UsedAt)> uses, CancellationToken cancellationToken = default)
    {
        if (uses.Count == 0)
        {
            return;
        }

        await using NpgsqlCommand command = dataSource.CreateCommand(TouchSql);
        command.AddPositional(uses.Select(u => u.KeyId).ToArray(), uses.Select(u => u.UsedAt.ToUniversalTime()).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the tenant's own rate limit, or back to the default with null.</summary>
    public async Task SetRateLimitAsync(string tenantId, RateLimit? limit, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SetRateLimitSql);
        command.AddPositional(tenantId, (object?)limit?.RequestsPerSecond ?? DBNull.Value, (object?)limit?.Burst ?? DBNull.Value);
        command.Parameters[1].NpgsqlDbType = NpgsqlDbType.Double;
        command.Parameters[2].NpgsqlDbType = NpgsqlDbType.Integer;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tenant's own rate limit; null when it has none (the default applies).</summary>
    public async Task<RateLimit?> GetRateLimitAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(GetRateLimitSql);
        command.AddPositional(tenantId);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRateLimit(reader, 0) : null;
    }

    private static byte[] HashBytes(string keyHash) => Encoding.ASCII.GetBytes(keyHash);

    private static DateTimeOffset? OptionalTime(NpgsqlDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static RateLimit? ReadRateLimit(NpgsqlDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : new RateLimit(reader.GetDouble(ordinal), reader.GetInt32(ordinal + 1));

    private static async Task<IReadOnlyList<ApiKey>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(ReadKey(reader));
        }

        return keys;
    }

    private static ApiKey ReadKey(NpgsqlDataReader reader)
        => new(reader.GetGuid(0), reader.GetString(1), ApiScopeNames.FromNames(reader.GetFieldValue<string[]>(2)),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4), OptionalTime(reader, 5), OptionalTime(reader, 6),
            OptionalTime(reader, 7));
}
