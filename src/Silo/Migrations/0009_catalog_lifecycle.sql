-- The catalog over time: edits, archive and delete; subscriptions that end; subjects held over a time range; plan
-- proration; indexes for listing every collection in a stable order.

-- Customers: email and metadata, edited in place (the audit log keeps before/after).
ALTER TABLE customers
    ADD COLUMN email text,
    ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN updated_at timestamptz;

-- Meters: a display name and description; an archived meter counts no event stamped at or after archived_at.
ALTER TABLE meters
    ADD COLUMN name text,
    ADD COLUMN description text,
    ADD COLUMN archived_at timestamptz;

-- Plans: how the fixed fee of a partial period (a subscription's last one) is charged.
ALTER TABLE plans
    ADD COLUMN proration text NOT NULL DEFAULT 'none';

-- Subscriptions end: events stamped at or after ended_at are refused. revision grows with every lifecycle change, and an
-- invoice is inserted only while the revision it was priced under is current (the row is share-locked by the insert).
ALTER TABLE subscriptions
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN canceled_at timestamptz,
    ADD COLUMN revision bigint NOT NULL DEFAULT 0;

CREATE INDEX subscriptions_customer ON subscriptions (tenant_id, customer_id, id);
CREATE INDEX subscriptions_plan ON subscriptions (tenant_id, plan_code, id);

-- A subject is held by a subscription over [valid_from, valid_to); PostgreSQL refuses two holders at one instant.
-- Subjects held before this migration are held from the beginning of time until further notice.
ALTER TABLE subscription_subjects DROP CONSTRAINT subscription_subjects_pkey;
ALTER TABLE subscription_subjects
    ADD COLUMN valid_from timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN valid_to timestamptz NOT NULL DEFAULT 'infinity',
    ADD CONSTRAINT subscription_subjects_range CHECK (valid_to > valid_from),
    ADD CONSTRAINT subscription_subjects_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, subject WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&);

-- Listing in a stable order: (created_at, id) for collections whose ids are generated.
CREATE INDEX invoices_tenant_created ON invoices (tenant_id, created_at, id);
CREATE INDEX prices_tenant_created ON prices (tenant_id, created_at, id);
CREATE INDEX billing_runs_tenant_created ON billing_runs (tenant_id, created_at, id);
CREATE INDEX rerating_jobs_tenant_created ON rerating_jobs (tenant_id, created_at, id);

-- Plan changes: from starts_at on, the subscription is on plan_code (before the first change, on subscriptions.plan_code).
-- A change takes effect on a whole UTC hour, where usage splits exactly.
CREATE TABLE subscription_phases (
    tenant_id text NOT NULL,
    subscription_id text NOT NULL,
    starts_at timestamptz NOT NULL,
    plan_code text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, subscription_id, starts_at),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_code) REFERENCES plans (tenant_id, code)
);
