-- Quotas: which subscriptions have a quota on which meter (the definitions live in grain_state, fenced).
CREATE TABLE quotas (
    tenant_id text NOT NULL,
    subscription_id text NOT NULL,
    meter_code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, subscription_id, meter_code)
);

-- A quota window counts a subscription's events of one type by server receive time.
CREATE INDEX events_subscription_type_received ON events (tenant_id, subscription_id, event_type, received_at);

-- The audit trail, newest first per tenant.
CREATE TABLE audit_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL,
    at timestamptz NOT NULL,
    action text NOT NULL,
    actor text NOT NULL,
    subject text,
    details jsonb NOT NULL
);

CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id DESC);
CREATE INDEX audit_events_tenant_action ON audit_events (tenant_id, action, id DESC);
