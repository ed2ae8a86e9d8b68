-- Price books: effective-dated entries per (plan, meter). PostgreSQL itself refuses overlapping entries.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE prices (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    plan_code text NOT NULL,
    meter_code text NOT NULL,
    model text NOT NULL,
    properties jsonb NOT NULL,
    effective_from timestamptz NOT NULL,
    effective_to timestamptz,
    created_at timestamptz NOT NULL,
    CHECK (effective_to IS NULL OR effective_to > effective_from),
    FOREIGN KEY (tenant_id, plan_code) REFERENCES plans (tenant_id, code),
    FOREIGN KEY (tenant_id, meter_code) REFERENCES meters (tenant_id, code),
    CONSTRAINT prices_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, plan_code WITH =, meter_code WITH =, tstzrange(effective_from, effective_to, '[)') WITH &&)
);

-- Invoices. One standard invoice per (subscription, period) that is not voided: the unique index decides races.
CREATE TABLE invoices (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    subscription_id text NOT NULL,
    customer_id text NOT NULL,
    plan_code text NOT NULL,
    currency text NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    status text NOT NULL,
    kind text NOT NULL,
    adjusts uuid REFERENCES invoices (id),
    line_items jsonb NOT NULL,
    subtotal numeric NOT NULL,
    tax_rate numeric NOT NULL,
    tax numeric NOT NULL,
    total numeric NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finalized_at timestamptz,
    voided_at timestamptz
);

CREATE UNIQUE INDEX invoices_one_per_period ON invoices (tenant_id, subscription_id, period_start)
    WHERE kind = 'standard' AND status <> 'voided';
CREATE INDEX invoices_tenant_subscription ON invoices (tenant_id, subscription_id, period_start);
CREATE INDEX invoices_tenant_customer ON invoices (tenant_id, customer_id, period_start);

CREATE TABLE billing_runs (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    period_end_before timestamptz NOT NULL,
    status text NOT NULL,
    total int NOT NULL DEFAULT 0,
    done int NOT NULL DEFAULT 0,
    failed int NOT NULL DEFAULT 0,
    created int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    completed_at timestamptz
);

CREATE TABLE rerating_jobs (
    id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    customer_ids text[] NOT NULL,
    range_from timestamptz NOT NULL,
    range_to timestamptz NOT NULL,
    status text NOT NULL,
    recomputed int NOT NULL DEFAULT 0,
    adjustments int NOT NULL DEFAULT 0,
    error text,
    created_at timestamptz NOT NULL,
    completed_at timestamptz
);

CREATE INDEX rerating_jobs_active ON rerating_jobs (tenant_id) WHERE status IN ('pending', 'running');
