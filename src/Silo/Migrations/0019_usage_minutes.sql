-- Minute rollups per (meter, subject, subscription, group), built by the rollup job from events below the committed
-- horizon, with their own progress mark: minute windows, ranges on any minute and queries by subject read them plus the
-- few events after the mark, instead of every event of the range.
CREATE TABLE usage_minutes (
    tenant_id text NOT NULL,
    meter_code text NOT NULL,
    minute timestamptz NOT NULL,
    subject text NOT NULL,
    subscription_id text NOT NULL,
    group_key text NOT NULL,
    count bigint NOT NULL,
    sum numeric NOT NULL,
    min numeric,
    max numeric,
    latest numeric,
    latest_at timestamptz,
    latest_seq bigint,
    uniques text[],
    PRIMARY KEY (tenant_id, meter_code, minute, subject, subscription_id, group_key)
);

CREATE INDEX usage_minutes_subscription ON usage_minutes (tenant_id, subscription_id, meter_code, minute);

CREATE TABLE usage_minutes_progress (
    tenant_id text NOT NULL,
    meter_code text NOT NULL,
    last_seq bigint NOT NULL,
    PRIMARY KEY (tenant_id, meter_code)
);
