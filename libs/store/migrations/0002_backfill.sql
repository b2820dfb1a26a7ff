-- vnstream history store, version 2: backfill progress, so a backfill
-- interrupted by a crash resumes where it stopped.
CREATE TABLE backfill_progress (
  symbol     text        NOT NULL,
  bar_interval text      NOT NULL CHECK (bar_interval IN ('1D', '1m')),
  rows       bigint      NOT NULL,  -- bars written
  oldest     timestamptz,           -- oldest bar fetched (NULL: none)
  newest     timestamptz,           -- newest bar fetched (NULL: none)
  finished_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, bar_interval)
);
