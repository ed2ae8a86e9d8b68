-- The cluster: activations per silo (written with each heartbeat), statuses joining/active/leaving/dead, the secret silos
-- share when none is configured, and which silo runs a background job (another takes it over once that silo is dead).
ALTER TABLE silos ADD COLUMN activations int NOT NULL DEFAULT 0;
UPDATE silos SET status = 'dead' WHERE status NOT IN ('joining', 'active', 'leaving', 'dead');

CREATE TABLE cluster_settings (
    name text PRIMARY KEY,
    value text NOT NULL
);

ALTER TABLE billing_runs ADD COLUMN runner text;
ALTER TABLE rerating_jobs ADD COLUMN runner text;
