-- Webhooks: the endpoints a tenant registers (the signing secret kept encrypted, the circuit breaker's state with them so
-- that every silo delivering to an endpoint sees the same breaker), the transactional outbox (one notification row per
-- event, written in the transaction of the change that causes it, and one delivery row per subscribed endpoint, inserted
-- by the same statement), and every attempt of a delivery.
CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL REFERENCES tenants (id),
    url text NOT NULL,
    events text[] NOT NULL,
    description text,
    enabled boolean NOT NULL DEFAULT true,
    secret bytea NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    breaker_state text NOT NULL DEFAULT 'closed',
    consecutive_failures int NOT NULL DEFAULT 0,
    breaker_changed_at timestamptz
);

CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_notifications (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    type text NOT NULL,
    created_at timestamptz NOT NULL,
    body text NOT NULL,
    -- Notifications that must be sent once (a threshold once per quota window) carry a key; a second insert is a no-op.
    dedupe_key text,
    UNIQUE (tenant_id, dedupe_key)
);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL,
    tenant_id text NOT NULL,
    notification_id uuid NOT NULL REFERENCES webhook_notifications (id),
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    partition int NOT NULL,
    order_key text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    failures int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (partition, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, status, seq);
-- For /metrics: the age of the oldest pending delivery and the size of the dead-letter queue, without a scan.
CREATE INDEX webhook_deliveries_pending_age ON webhook_deliveries (created_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (seq) WHERE status = 'failed';

CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n int NOT NULL,
    at timestamptz NOT NULL,
    status_code int,
    latency_ms double precision NOT NULL,
    error text,
    PRIMARY KEY (delivery_id, n)
);
