using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Npgsql;

namespace Metering.Silo.Catalog;

/// <summary>A subscription's lifecycle in PostgreSQL (see <see cref="ISubscriptionLifecycle"/>). The subscription row is locked
/// for update by every change, and share-locked by every invoice insert, which checks the revision it priced under: an
/// invoice and a change never miss each other.</summary>
public sealed class SubscriptionLifecycleStore(NpgsqlDataSource dataSource) : ISubscriptionLifecycle
{
    private const string EndOfSql = "SELECT ended_at FROM subscriptions WHERE tenant_id = $1 AND id = $2";
    private const string NewestEventSql = "SELECT max(ts) FROM events WHERE tenant_id = $1 AND subscription_id = $2";
    private const string LockSql = "SELECT revision FROM subscriptions WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
    private const string ClosedAfterSql = """
        SELECT EXISTS (SELECT 1 FROM invoices WHERE tenant_id = $1 AND subscription_id = $2 AND kind = 'standard'
                       AND status IN ('finalizing', 'finalized') AND period_end > $3)
        """;
    private const string EndSql = "UPDATE subscriptions SET ended_at = $3, canceled_at = $4, revision = revision + 1 WHERE tenant_id = $1 AND id = $2";
    private const string DropLaterHoldsSql = "DELETE FROM subscription_subjects WHERE tenant_id = $1 AND subscription_id = $2 AND valid_from >= $3";
    private const string CutHoldsSql = "UPDATE subscription_subjects SET valid_to = $3 WHERE tenant_id = $1 AND subscription_id = $2 AND valid_to > $3";
    private const string VoidLaterDraftsSql = """
        UPDATE invoices SET status = 'voided', voided_at = $4, updated_at = $4
        WHERE tenant_id = $1 AND subscription_id = $2 AND kind = 'standard' AND status = 'draft' AND period_start >= $3 RETURNING id
        """;
    private const string CutDraftSql = """
        UPDATE invoices SET period_end = $3, updated_at = $4
        WHERE tenant_id = $1 AND subscription_id = $2 AND kind = 'standard' AND status = 'draft' AND period_start < $3 AND period_end > $3 RETURNING id
        """;

    private const string EndedAtSql = "SELECT ended_at FROM subscriptions WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
    private const string DropLaterChangesSql = "DELETE FROM subscription_phases WHERE tenant_id = $1 AND subscription_id = $2 AND starts_at >= $3";
    private const string InsertChangeSql = "INSERT INTO subscription_phases (tenant_id, subscription_id, starts_at, plan_code, created_at, plan_version) VALUES ($1, $2, $3, $4, $5, $6)";
    // The plan in force at $3, and whether a change is scheduled after it: what a migration checks under the lock.
    private const string PlanAtSql = """
        SELECT coalesce(c.plan_code, s.plan_code), coalesce(c.plan_version, s.plan_version),
               EXISTS (SELECT 1 FROM subscription_phases l WHERE l.tenant_id = $1 AND l.subscription_id = $2 AND l.starts_at > $3)
        FROM subscriptions s
        LEFT JOIN LATERAL (SELECT plan_code, plan_version FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id AND c.starts_at <= $3
                           ORDER BY c.starts_at DESC LIMIT 1) c ON true
        WHERE s.tenant_id = $1 AND s.id = $2
        """;
    private const string NextRevisionSql = "UPDATE subscriptions SET revision = revision + 1 WHERE tenant_id = $1 AND id = $2";
    private const string DraftsAfterSql = """
        SELECT id FROM invoices WHERE tenant_id = $1 AND subscription_id = $2 AND kind = 'standard' AND status = 'draft' AND period_end > $3
        """;

    /// <summary>In one transaction: from <paramref name="at"/> on the subscription is on <paramref name="plan"/> (a change
    /// scheduled at or after it is replaced) and its revision grows. Returns the drafts whose period the change reaches (to
    /// price again), or why not: the subscription ends by then, or a finalized invoice covers time after it. With
    /// <paramref name="expected"/> (a migration), only while that is the plan in force at <paramref name="at"/> and no change
    /// is scheduled after it, else <see cref="PlanChangeStatus.Superseded"/>.</summary>
    public async Task<(PlanChangeStatus Status, IReadOnlyList<Guid> Drafts)> ChangePlanAsync(string tenantId, string subscriptionId, PlanRef plan, DateTimeOffset at,
        DateTimeOffset now, PlanRef? expected = null, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var ended = new NpgsqlCommand(EndedAtSql, connection, transaction))
        {
            ended.AddPositional(tenantId, subscriptionId);
            if (await ended.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime end && new DateTimeOffset(end, TimeSpan.Zero) <= at)
            {
                return (PlanChangeStatus.Ended, []);
            }
        }

        await using (var closed = new NpgsqlCommand(ClosedAfterSql, connection, transaction))
        {
            closed.AddPositional(tenantId, subscriptionId, at);
            if ((bool)(await closed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return (PlanChangeStatus.PeriodClosed, []);
            }
        }

        if (expected is not null && !await InForceAsync(connection, transaction, tenantId, subscriptionId, at, expected, cancellationToken).ConfigureAwait(false))
        {
            return (PlanChangeStatus.Superseded, []);
        }

        await IdsAsync(connection, transaction, DropLaterChangesSql, cancellationToken, tenantId, subscriptionId, at).ConfigureAwait(false);
        await IdsAsync(connection, transaction, InsertChangeSql, cancellationToken, tenantId, subscriptionId, at, plan.Code, now, plan.Version).ConfigureAwait(false);
        await IdsAsync(connection, transaction, NextRevisionSql, cancellationToken, tenantId, subscriptionId).ConfigureAwait(false);
        List<Guid> drafts = await IdsAsync(connection, transaction, DraftsAfterSql, cancellationToken, tenantId, subscriptionId, at).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (PlanChangeStatus.Changed, drafts);
    }

    /// <summary>Whether <paramref name="expected"/> is the plan in force at <paramref name="at"/>, with no change scheduled after it.</summary>
    private static async Task<bool> InForceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, string subscriptionId, DateTimeOffset at,
        PlanRef expected, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(PlanAtSql, connection, transaction);
        command.AddPositional(tenantId, subscriptionId, at);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            && new PlanRef(reader.GetString(0), reader.GetInt32(1)) == expected && !reader.GetBoolean(2);
    }

    private const string HeldSql = "SELECT subject, valid_from, valid_to FROM subscription_subjects WHERE tenant_id = $1 AND subscription_id = $2";
    private const string NewestOfSubjectSql = "SELECT max(ts) FROM events WHERE tenant_id = $1 AND subscription_id = $2 AND subject = $3";
    private const string AddSubjectSql = """
        INSERT INTO subscription_subjects (tenant_id, subject, subscription_id, valid_from, valid_to)
        SELECT $1, $3, $2, $4, coalesce(s.ended_at, 'infinity') FROM subscriptions s WHERE s.tenant_id = $1 AND s.id = $2 AND (s.ended_at IS NULL OR s.ended_at > $4)
        """;
    private const string RemoveSubjectSql = """
        UPDATE subscription_subjects SET valid_to = $4
        WHERE tenant_id = $1 AND subscription_id = $2 AND subject = $3 AND valid_from < $4 AND valid_to > $4
        """;
    private const string DropSubjectSql = "DELETE FROM subscription_subjects WHERE tenant_id = $1 AND subscription_id = $2 AND subject = $3 AND valid_from >= $4";

    public async Task<IReadOnlyList<HeldSubject>> HeldSubjectsAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(HeldSql);
        command.AddPositional(tenantId, subscriptionId);
        var held = new List<HeldSubject>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            held.Add(new HeldSubject(reader.GetString(0), Instant(reader.GetDateTime(1)), Instant(reader.GetDateTime(2))));
        }

        return held;
    }

    public async Task<DateTimeOffset?> NewestEventOfAsync(string tenantId, string subscriptionId, string subject, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(NewestOfSubjectSql);
        command.AddPositional(tenantId, subscriptionId, subject);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime newest ? new DateTimeOffset(newest, TimeSpan.Zero) : null;
    }

    public async Task<SubjectChangeStatus> AddSubjectAsync(string tenantId, string subscriptionId, string subject, DateTimeOffset from, CancellationToken cancellationToken = default)
    {
        try
        {
            await using NpgsqlCommand command = dataSource.CreateCommand(AddSubjectSql);
            command.AddPositional(tenantId, subscriptionId, subject, Microseconds(from));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1 ? SubjectChangeStatus.Done : SubjectChangeStatus.Ended;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.ExclusionViolation)
        {
            return SubjectChangeStatus.Taken;
        }
    }

    public async Task<SubjectChangeStatus> RemoveSubjectAsync(string tenantId, string subscriptionId, string subject, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int changed = 0;
        foreach (string sql in new[] { RemoveSubjectSql, DropSubjectSql })
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.AddPositional(tenantId, subscriptionId, subject, Microseconds(at));
            changed += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed > 0 ? SubjectChangeStatus.Done : SubjectChangeStatus.NotHeld;
    }

    private static DateTimeOffset Instant(DateTime value)
        => value == DateTime.MinValue ? DateTimeOffset.MinValue : value == DateTime.MaxValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public async Task<DateTimeOffset?> EndOfAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(EndOfSql);
        command.AddPositional(tenantId, subscriptionId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime end ? new DateTimeOffset(end, TimeSpan.Zero) : null;
    }

    public async Task<DateTimeOffset?> NewestEventAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(NewestEventSql);
        command.AddPositional(tenantId, subscriptionId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime newest ? new DateTimeOffset(newest, TimeSpan.Zero) : null;
    }

    public async Task<CancelOutcome> EndAsync(string tenantId, string subscriptionId, DateTimeOffset end, DateTimeOffset canceledAt, CancellationToken cancellationToken = default)
    {
        end = Microseconds(end);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await IdsAsync(connection, transaction, LockSql, cancellationToken, tenantId, subscriptionId).ConfigureAwait(false);
        await using (var closed = new NpgsqlCommand(ClosedAfterSql, connection, transaction))
        {
            closed.AddPositional(tenantId, subscriptionId, end);
            if ((bool)(await closed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return CancelOutcome.Refused(CancelStatus.PeriodClosed, $"A finalized invoice of subscription '{subscriptionId}' covers time after {end:O}; void it first.");
            }
        }

        await IdsAsync(connection, transaction, EndSql, cancellationToken, tenantId, subscriptionId, end, canceledAt).ConfigureAwait(false);
        await IdsAsync(connection, transaction, DropLaterHoldsSql, cancellationToken, tenantId, subscriptionId, end).ConfigureAwait(false);
        await IdsAsync(connection, transaction, CutHoldsSql, cancellationToken, tenantId, subscriptionId, end).ConfigureAwait(false);
        List<Guid> voided = await IdsAsync(connection, transaction, VoidLaterDraftsSql, cancellationToken, tenantId, subscriptionId, end, canceledAt).ConfigureAwait(false);
        List<Guid> cut = await IdsAsync(connection, transaction, CutDraftSql, cancellationToken, tenantId, subscriptionId, end, canceledAt).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CancelOutcome(CancelStatus.Canceled, end, cut, voided);
    }

    /// <summary>PostgreSQL keeps microseconds: what is written is what a read gives back.</summary>
    public static DateTimeOffset Microseconds(DateTimeOffset at) => at.AddTicks(-(at.UtcTicks % 10)).ToUniversalTime();

    private static async Task<List<Guid>> IdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.AddPositional(values);
        var ids = new List<Guid>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.FieldCount == 1 && reader.GetFieldType(0) == typeof(Guid))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        return ids;
    }
}
