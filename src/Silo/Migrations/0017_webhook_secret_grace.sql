-- A rotated webhook secret keeps signing, next to the new one, until previous_secret_expires_at: receivers move to the new
-- secret without missing a delivery.
ALTER TABLE webhook_endpoints
    ADD COLUMN previous_secret bytea,
    ADD COLUMN previous_secret_expires_at timestamptz;
