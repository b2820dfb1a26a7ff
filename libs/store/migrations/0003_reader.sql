-- vnstream history store, version 3: the read-only role of the gateway
-- (vnstream_reader: created by vnstream-postgres locally and by
-- CloudNativePG's managed roles in deploy/k8s) may read every table, also
-- those created later by the owner (minute_bars is read through its
-- parent, so new monthly partitions need nothing). Nothing happens where
-- the role does not exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vnstream_reader') THEN
    GRANT USAGE ON SCHEMA public TO vnstream_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO vnstream_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
      GRANT SELECT ON TABLES TO vnstream_reader;
  END IF;
END
$$;
