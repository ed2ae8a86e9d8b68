-- Usage read from the event log (minute windows, ranges on any minute, meter queries by subject) scans one event type of a
-- tenant over a time range.
CREATE INDEX IF NOT EXISTS events_type_ts ON events (tenant_id, event_type, ts);
