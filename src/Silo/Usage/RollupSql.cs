namespace Metering.Silo.Usage;

/// <summary>The statements that write the rollups; every upsert takes the same parameters (<see cref="RollupCells.AddTo"/>).</summary>
public static class RollupSql
{
    // A sum stops at decimal's bounds, as the grains' sums do (Saturating): beyond them it could not be read back.
    private const string Merge = """
        count = r.count + excluded.count,
          sum = least(greatest(r.sum + excluded.sum, -79228162514264337593543950335), 79228162514264337593543950335),
          min = least(r.min, excluded.min),
          max = greatest(r.max, excluded.max),
          latest = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest ELSE r.latest END,
          latest_at = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest_at ELSE r.latest_at END,
          latest_seq = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest_seq ELSE r.latest_seq END,
          uniques = CASE WHEN excluded.uniques IS NULL THEN r.uniques ELSE ARRAY(SELECT DISTINCT u FROM unnest(coalesce(r.uniques, '{}') || excluded.uniques) u) END
        """;

    private const string Cells = """
        FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::bigint[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::timestamptz[], $13::bigint[], $14::text[])
          AS t(subscription_id, subject, start, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques)
        """;

    private const string Uniques = "CASE WHEN t.uniques IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(t.uniques::jsonb)) END";

    public const string HourUpsert = $"""
        INSERT INTO usage_rollups AS r (tenant_id, subscription_id, meter_code, hour, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques)
        SELECT $1, t.subscription_id, $2, t.start, t.group_key, t.count, t.sum, t.min, t.max, t.latest, t.latest_at, t.latest_seq, {Uniques}
        {Cells}
        ON CONFLICT (tenant_id, subscription_id, meter_code, hour, group_key) DO UPDATE SET
          {Merge}
        """;

    public const string MinuteUpsert = $"""
        INSERT INTO usage_minutes AS r (tenant_id, meter_code, minute, subject, subscription_id, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques)
        SELECT $1, $2, t.start, t.subject, t.subscription_id, t.group_key, t.count, t.sum, t.min, t.max, t.latest, t.latest_at, t.latest_seq, {Uniques}
        {Cells}
        ON CONFLICT (tenant_id, meter_code, minute, subject, subscription_id, group_key) DO UPDATE SET
          {Merge}
        """;

    /// <summary>Moves a progress mark from $3 to $4; no row when another silo moved it meanwhile.</summary>
    public const string HourProgress = """
        INSERT INTO rollup_progress AS p (tenant_id, meter_code, last_seq) VALUES ($1, $2, $4)
        ON CONFLICT (tenant_id, meter_code) DO UPDATE SET last_seq = excluded.last_seq WHERE p.last_seq = $3
        """;

    public const string MinuteProgress = """
        INSERT INTO usage_minutes_progress AS p (tenant_id, meter_code, last_seq) VALUES ($1, $2, $4)
        ON CONFLICT (tenant_id, meter_code) DO UPDATE SET last_seq = excluded.last_seq WHERE p.last_seq = $3
        """;

    /// <summary>The stored aggregate columns, in the order <see cref="RollupCells.ReadAggregate"/> reads them.</summary>
    public const string AggregateColumns = "count, sum, min, max, latest, latest_at, latest_seq, uniques";
}
