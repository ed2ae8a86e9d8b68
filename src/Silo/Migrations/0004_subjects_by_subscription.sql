-- A subscription's subjects, read with the subscription (and for every subscription of a billing run), by subscription id.
CREATE INDEX subscription_subjects_by_subscription ON subscription_subjects (tenant_id, subscription_id);
