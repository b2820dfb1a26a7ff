-- vnstream history store, version 1: what the store service writes from
-- Kafka. Prices are exact numerics in VND (indices: points), volumes in
-- shares, times UTC (timestamptz), trading dates in Asia/Ho_Chi_Minh.
--
-- Which version of a bar wins (daily_bars, minute_bars), see
-- libs/store/rows.h: rows come from the stream (origin 'stream', version =
-- the record's meta.seq) or from a backfill (origin 'backfill', version =
-- the fetch time in microseconds since 1970). Between two rows of the same
-- origin the higher version wins; a streamed row beats a backfilled one,
-- except that a finished (final) backfilled bar replaces an unfinished
-- streamed one. A row is never replaced by an older one.

-- Consumed Kafka positions, committed in the same transaction as the rows
-- the records produced: a crash of the store or of PostgreSQL neither loses
-- nor repeats a record.
CREATE TABLE kafka_offsets (
  consumer    text        NOT NULL,  -- the store's consumer name
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,  -- offset of the next record to read
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Topic stock-instruments: the listed universe (and indices).
CREATE TABLE instruments (
  symbol     text        PRIMARY KEY,
  type       text        NOT NULL,  -- STOCK, ETF, COVERED_WARRANT, BOND, INDEX, FUTURE, UNSPECIFIED
  exchange   text        NOT NULL,  -- HOSE, HNX, UPCOM or '' (unknown)
  name       text        NOT NULL,  -- issuer, Vietnamese
  en_name    text        NOT NULL,  -- issuer, English ('' when unknown)
  groups     text[]      NOT NULL,  -- index groups, e.g. {VN30}
  listed     boolean     NOT NULL,  -- false once delisted
  version    bigint      NOT NULL,  -- meta.seq of the record
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Topic stock-historical (and backfills): one row per symbol and trading day.
CREATE TABLE daily_bars (
  symbol       text        NOT NULL,
  trading_date date        NOT NULL,
  open         numeric     NOT NULL,
  high         numeric     NOT NULL,
  low          numeric     NOT NULL,
  close        numeric     NOT NULL,
  volume       bigint      NOT NULL,
  final        boolean     NOT NULL,  -- false while the day is in progress
  origin       text        NOT NULL CHECK (origin IN ('stream', 'backfill')),
  version      bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, trading_date)
);

-- Topic stock-intraday (and backfills): one row per symbol and minute,
-- revisions updated in place. Partitioned by month of Asia/Ho_Chi_Minh
-- (minute_bars_pYYYYMM); the store creates partitions ahead and drops those
-- past the retention.
CREATE TABLE minute_bars (
  symbol     text        NOT NULL,
  start_time timestamptz NOT NULL,  -- UTC start of the minute
  open       numeric     NOT NULL,
  high       numeric     NOT NULL,
  low        numeric     NOT NULL,
  close      numeric     NOT NULL,
  volume     bigint      NOT NULL,
  final      boolean     NOT NULL,  -- false while the minute is in progress
  origin     text        NOT NULL CHECK (origin IN ('stream', 'backfill')),
  version    bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, start_time)
) PARTITION BY RANGE (start_time);

-- Indicator parameter sets (IndicatorParams as JSON), referenced by the
-- indicator rows computed with them.
CREATE TABLE indicator_params (
  id     serial PRIMARY KEY,
  params jsonb  NOT NULL UNIQUE
);

-- Topic stock-analytics: the indicators of each daily bar (TA-Lib
-- semantics, libs/indicators). NULL = inside the indicator's lookback.
CREATE TABLE daily_indicators (
  symbol            text             NOT NULL,
  trading_date      date             NOT NULL,
  params_id         integer          NOT NULL REFERENCES indicator_params (id),
  sma_short         double precision,
  sma_medium        double precision,
  sma_long          double precision,
  ema_fast          double precision,
  ema_slow          double precision,
  rsi               double precision,
  macd              double precision,
  macd_signal       double precision,
  macd_hist         double precision,
  bb_upper          double precision,
  bb_middle         double precision,
  bb_lower          double precision,
  atr               double precision,
  stoch_k           double precision,
  stoch_d           double precision,
  obv               double precision,
  volume_sma        double precision,
  volume_ratio      double precision,
  daily_return      double precision,
  cumulative_return double precision,  -- over the analytics record's window
  version           bigint           NOT NULL,  -- meta.seq of the record
  updated_at        timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, trading_date)
);
