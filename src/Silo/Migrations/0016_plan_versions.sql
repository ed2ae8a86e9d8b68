-- Plans are versioned. A plan's fixed fee and proration are kept per version; editing a plan that subscriptions are on
-- makes a new version (plans.version is the latest), and each subscription, and each of its plan changes, names the
-- version it is on until it is migrated. The price book stays per plan code and effective-dated.
ALTER TABLE plans ADD COLUMN version int NOT NULL DEFAULT 1;

CREATE TABLE plan_versions (
    tenant_id text NOT NULL,
    code text NOT NULL,
    version int NOT NULL,
    fixed_fee numeric NOT NULL,
    proration text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, code, version),
    FOREIGN KEY (tenant_id, code) REFERENCES plans (tenant_id, code)
);

INSERT INTO plan_versions (tenant_id, code, version, fixed_fee, proration, created_at)
SELECT tenant_id, code, 1, fixed_fee, proration, created_at FROM plans;

ALTER TABLE subscriptions ADD COLUMN plan_version int NOT NULL DEFAULT 1;
ALTER TABLE subscription_phases ADD COLUMN plan_version int NOT NULL DEFAULT 1;
