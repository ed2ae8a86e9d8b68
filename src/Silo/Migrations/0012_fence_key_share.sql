-- A write's fence check locks the leases of its partitions FOR KEY SHARE, in partition order, instead of FOR SHARE in any
-- order. Renewing a lease (an UPDATE of expires_at only) then neither waits for writes in flight nor deadlocks with them:
-- under load, a renewal locking all of a silo's leases while group commits each held some of them deadlocked. What must
-- wait for writes in flight still does: a claim (FOR UPDATE SKIP LOCKED) skips a partition being written, and a release
-- locks its leases FOR UPDATE first, in the same order.
CREATE OR REPLACE FUNCTION metering_assert_fences(p_silo text, p_partitions int[], p_epochs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    held int;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7263);
    PERFORM 1 FROM partition_leases WHERE partition = ANY (p_partitions) ORDER BY partition FOR KEY SHARE;
    SELECT count(*) INTO held
    FROM partition_leases l JOIN unnest(p_partitions, p_epochs) AS f(partition, epoch)
      ON l.partition = f.partition AND l.epoch = f.epoch AND l.owner = p_silo;
    IF held <> cardinality(p_partitions) THEN
        RAISE EXCEPTION 'silo % does not hold every partition of this write at its epoch', p_silo USING ERRCODE = 'MF001';
    END IF;
END $$;
