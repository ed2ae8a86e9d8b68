using System.Collections.Concurrent;
using System.Text;
using Metering.Grains;
using Metering.Grains.Webhooks;
using Metering.Silo.Signing;
using Microsoft.Extensions.DependencyInjection;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Webhooks;

/// <summary>Webhook endpoints in PostgreSQL: their settings, their secret (encrypted at rest by <see cref="SecretProtector"/>)
/// and their circuit breaker, changed only by compare-and-set so that silos delivering to one endpoint share it.</summary>
public sealed class WebhookEndpointStore(NpgsqlDataSource dataSource, SecretProtector protector, [FromKeyedServices(WebhookClock.Key)] TimeProvider time)
{
    private const string Columns = "id, url, events, description, enabled, breaker_state, consecutive_failures, breaker_changed_at, created_at, updated_at";

    private const string InsertSql = """
        INSERT INTO webhook_endpoints (id, tenant_id, url, events, description, secret, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
        RETURNING
        """ + " " + Columns;

    private const string ListSql = "SELECT " + Columns + """
         FROM webhook_endpoints
        WHERE tenant_id = $1 AND ($2::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM webhook_endpoints WHERE tenant_id = $1 AND id::text = $2))
        ORDER BY created_at, id LIMIT $3
        """;

    private const string GetSql = "SELECT " + Columns + " FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2";

    private const string UpdateSql = """
        UPDATE webhook_endpoints SET url = coalesce($3, url), events = coalesce($4, events), description = coalesce($5, description),
            enabled = coalesce($6, enabled), updated_at = $7
        WHERE tenant_id = $1 AND id = $2
        RETURNING
        """ + " " + Columns;

    private const string DeleteSql = "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2";

    // With a grace ($5 not null) the secret replaced keeps signing until then; without, it stops at once.
    private const string RotateSql = """
        UPDATE webhook_endpoints
        SET previous_secret = CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE secret END, previous_secret_expires_at = $5, secret = $3, updated_at = $4
        WHERE tenant_id = $1 AND id = $2
        """;

    private const string SecretSql = "SELECT secret, updated_at, previous_secret, previous_secret_expires_at FROM webhook_endpoints WHERE id = $1";

    private const string BreakerSql = """
        UPDATE webhook_endpoints SET breaker_state = $4, consecutive_failures = $5, breaker_changed_at = $6
        WHERE id = $1 AND breaker_state = $2 AND consecutive_failures = $3
        """;

    private const string ReadBreakerSql = "SELECT breaker_state, consecutive_failures, breaker_changed_at FROM webhook_endpoints WHERE id = $1";

    private readonly ConcurrentDictionary<Guid, (DateTimeOffset UpdatedAt, WebhookKeys Keys)> _keys = new();

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Registers an endpoint; returns it with its secret, which is never shown again.</summary>
    public async Task<(WebhookEndpoint Endpoint, string Secret)> CreateAsync(string tenantId, string url, IReadOnlyList<string> events, string? description, CancellationToken ct)
    {
        string secret = WebhookSecret.New();
        byte[] sealedSecret = await protector.ProtectAsync(Encoding.UTF8.GetBytes(secret), ct).ConfigureAwait(false);
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertSql);
        command.AddPositional(Guid.CreateVersion7(), tenantId, url, events.ToArray(), (object?)description ?? DBNull.Value, sealedSecret, Now);
        return ((await ReadAsync(command, ct).ConfigureAwait(false))[0], secret);
    }

    /// <summary>A page of a tenant's endpoints in the order they were registered; the cursor is an endpoint's id.</summary>
    public async Task<Page<WebhookEndpoint>> ListAsync(string tenantId, PageRequest page, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)page.After ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = page.Limit + 1 });
        return Page<WebhookEndpoint>.From(await ReadAsync(command, ct).ConfigureAwait(false), page.Limit, e => e.Id.ToString());
    }

    public async Task<WebhookEndpoint?> GetAsync(string tenantId, Guid id, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(GetSql);
        command.AddPositional(tenantId, id);
        return (await ReadAsync(command, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<WebhookEndpoint?> UpdateAsync(string tenantId, Guid id, EndpointChange change, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(UpdateSql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Url ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Events?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Enabled ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter { Value = Now });
        return (await ReadAsync(command, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <summary>Deletes an endpoint and its deliveries; false when the tenant has no such endpoint.</summary>
    public async Task<bool> DeleteAsync(string tenantId, Guid id, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(DeleteSql);
        command.AddPositional(tenantId, id);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Gives the endpoint a new secret; the old one keeps signing next to it for <paramref name="grace"/> (not at all
    /// when zero). Null when there is no such endpoint.</summary>
    public async Task<RotatedSecret?> RotateSecretAsync(string tenantId, Guid id, TimeSpan grace, CancellationToken ct)
    {
        string secret = WebhookSecret.New();
        byte[] sealedSecret = await protector.ProtectAsync(Encoding.UTF8.GetBytes(secret), ct).ConfigureAwait(false);
        DateTimeOffset now = Now;
        DateTimeOffset? previousUntil = grace > TimeSpan.Zero ? now + grace : null;
        await using NpgsqlCommand command = dataSource.CreateCommand(RotateSql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = sealedSecret });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)previousUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1 ? new RotatedSecret(secret, previousUntil) : null;
    }

    /// <summary>The HMAC keys of an endpoint as of <paramref name="updatedAt"/> (decrypted once per version of the endpoint).</summary>
    public async Task<WebhookKeys?> KeysAsync(Guid id, DateTimeOffset updatedAt, CancellationToken ct)
    {
        if (_keys.TryGetValue(id, out var cached) && cached.UpdatedAt == updatedAt)
        {
            return cached.Keys;
        }

        await using NpgsqlCommand command = dataSource.CreateCommand(SecretSql);
        command.AddPositional(id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        byte[] current = await protector.UnprotectAsync(reader.GetFieldValue<byte[]>(0), ct).ConfigureAwait(false);
        byte[]? previous = reader.IsDBNull(2) ? null : await protector.UnprotectAsync(reader.GetFieldValue<byte[]>(2), ct).ConfigureAwait(false);
        var keys = new WebhookKeys(current, previous, reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
        _keys[id] = (reader.GetFieldValue<DateTimeOffset>(1), keys);
        return keys;
    }

    /// <summary>Moves the breaker from <paramref name="expected"/> to <paramref name="next"/>; false when another silo moved it
    /// first (read it again with <see cref="BreakerAsync"/>).</summary>
    public async Task<bool> TrySetBreakerAsync(Guid id, Breaker expected, Breaker next, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(BreakerSql);
        command.AddPositional(id, expected.State.ToWire(), expected.ConsecutiveFailures, next.State.ToWire(), next.ConsecutiveFailures, (object?)next.ChangedAt ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<Breaker?> BreakerAsync(Guid id, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ReadBreakerSql);
        command.AddPositional(id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadBreaker(reader, 0) : null;
    }

    internal static Breaker ReadBreaker(NpgsqlDataReader reader, int first)
        => new(WireName.ParseWire<BreakerState>(reader.GetString(first)), reader.GetInt32(first + 1), reader.GetFieldValue<DateTimeOffset?>(first + 2));

    private static async Task<IReadOnlyList<WebhookEndpoint>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var endpoints = new List<WebhookEndpoint>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            endpoints.Add(new WebhookEndpoint(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetBoolean(4), ReadBreaker(reader, 5), reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return endpoints;
    }
}
