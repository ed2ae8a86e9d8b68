-- Signed events: the keys a tenant registers (an HMAC secret is kept encrypted, a public key as SPKI PEM), the nonces
-- each key has signed (kept for as long as an event of that timestamp is accepted), and each tenant's signature policy.
CREATE TABLE signing_keys (
    tenant_id text NOT NULL REFERENCES tenants (id),
    id text NOT NULL,
    algorithm text NOT NULL,
    subjects text[] NOT NULL,
    public_key text,
    secret bytea,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE signature_nonces (
    tenant_id text NOT NULL,
    key_id text NOT NULL,
    nonce text NOT NULL,
    idempotency_key text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key_id, nonce)
);

CREATE INDEX signature_nonces_expiry ON signature_nonces (expires_at);

ALTER TABLE tenants ADD COLUMN signature_policy text NOT NULL DEFAULT 'verify_if_present';
