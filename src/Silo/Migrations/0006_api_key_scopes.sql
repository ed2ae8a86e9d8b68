-- API keys get an id, scopes, a description, an expiry, revocation and the time of last use; tenants get a rate limit.
-- Keys made before this migration keep every tenant scope through the column's default, and so do keys that silos still
-- running the previous version insert during a rolling upgrade (the tenant key of the admin API, the bootstrap key).
ALTER TABLE api_keys
    ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{ingest,read,manage}',
    ADD COLUMN description text,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN revoked_at timestamptz;

CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- A tenant's own rate limit per API key (a token bucket); both null: the configured default applies.
ALTER TABLE tenants
    ADD COLUMN rate_limit_per_second double precision,
    ADD COLUMN rate_limit_burst int,
    ADD CONSTRAINT tenants_rate_limit_whole CHECK ((rate_limit_per_second IS NULL) = (rate_limit_burst IS NULL));
