-- The event sequence through which a quota's threshold crossings have been recorded: a silo that claims a partition
-- activates the quotas with events past it, so a crossing whose recording a crash cut off is recorded then.
ALTER TABLE quotas ADD COLUMN checked_seq bigint NOT NULL DEFAULT 0;
