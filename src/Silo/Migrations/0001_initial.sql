-- Runtime: membership, partition leases, grain state.
CREATE TABLE silos (
    id text PRIMARY KEY,
    address text NOT NULL,
    status text NOT NULL,
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);

CREATE TABLE partition_leases (
    partition int PRIMARY KEY,
    owner text,
    epoch bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE grain_state (
    state_name text NOT NULL,
    grain_key text NOT NULL,
    version bigint NOT NULL,
    data bytea NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (state_name, grain_key)
);

-- Every event append takes this lock shared; the rollup job takes it exclusively for an instant to learn a sequence
-- below which every event is committed. The partition fence is checked (and held) in the same transaction.
CREATE FUNCTION metering_assert_fences(p_silo text, p_partitions int[], p_epochs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    held int;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7263);
    PERFORM 1 FROM partition_leases WHERE partition = ANY (p_partitions) FOR SHARE;
    SELECT count(*) INTO held
    FROM partition_leases l JOIN unnest(p_partitions, p_epochs) AS f(partition, epoch)
      ON l.partition = f.partition AND l.epoch = f.epoch AND l.owner = p_silo;
    IF held <> cardinality(p_partitions) THEN
        RAISE EXCEPTION 'silo % does not hold every partition of this write at its epoch', p_silo USING ERRCODE = 'MF001';
    END IF;
END $$;

-- Tenants and keys.
CREATE TABLE tenants (
    id text PRIMARY KEY,
    require_signatures boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_hash bytea PRIMARY KEY,
    tenant_id text NOT NULL REFERENCES tenants (id),
    prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Catalog.
CREATE TABLE meters (
    tenant_id text NOT NULL REFERENCES tenants (id),
    code text NOT NULL,
    event_type text NOT NULL,
    aggregation text NOT NULL,
    value_property text,
    group_by text[] NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE customers (
    tenant_id text NOT NULL REFERENCES tenants (id),
    id text NOT NULL,
    name text NOT NULL,
    currency text NOT NULL,
    tax_rate numeric NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE plans (
    tenant_id text NOT NULL REFERENCES tenants (id),
    code text NOT NULL,
    currency text NOT NULL,
    billing_interval text NOT NULL,
    fixed_fee numeric NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE subscriptions (
    tenant_id text NOT NULL,
    id text NOT NULL,
    customer_id text NOT NULL,
    plan_code text NOT NULL,
    started_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_code) REFERENCES plans (tenant_id, code)
);

-- A subject belongs to at most one subscription of its tenant.
CREATE TABLE subscription_subjects (
    tenant_id text NOT NULL,
    subject text NOT NULL,
    subscription_id text NOT NULL,
    PRIMARY KEY (tenant_id, subject),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)
);

-- Events: the durable log. The unique index on the idempotency key is the last line of defence against double counting.
CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL,
    idempotency_key text NOT NULL,
    event_id uuid NOT NULL,
    subscription_id text NOT NULL,
    subject text NOT NULL,
    event_type text NOT NULL,
    ts timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    properties jsonb NOT NULL,
    payload_hash bytea NOT NULL,
    meta jsonb,
    partition int NOT NULL
);

CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key);
CREATE INDEX events_subscription_seq ON events (tenant_id, subscription_id, seq);
CREATE INDEX events_type_seq ON events (tenant_id, event_type, seq);

-- Hourly rollups per (subscription, meter, group), built from events below a committed horizon.
CREATE TABLE usage_rollups (
    tenant_id text NOT NULL,
    subscription_id text NOT NULL,
    meter_code text NOT NULL,
    hour timestamptz NOT NULL,
    group_key text NOT NULL,
    count bigint NOT NULL,
    sum numeric NOT NULL,
    min numeric,
    max numeric,
    latest numeric,
    latest_at timestamptz,
    latest_seq bigint,
    uniques text[],
    PRIMARY KEY (tenant_id, subscription_id, meter_code, hour, group_key)
);

CREATE TABLE rollup_progress (
    tenant_id text NOT NULL,
    meter_code text NOT NULL,
    last_seq bigint NOT NULL,
    PRIMARY KEY (tenant_id, meter_code)
);
