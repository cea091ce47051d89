// DDL of the embedded store, as ordered migrations. Tables mirror the Cassandra design in
// src/store/schema.md: one table per query shape, the primary key is the upsert identity, and
// day-bucketed tables keep the `day` column in the key so both adapters agree on what a row is.
// WITHOUT ROWID: the primary key *is* the B-tree, so a range query is one seek plus a sequential scan.
//
// Column names avoid SQL keywords (user, offset, partition, start) rather than quoting them everywhere.

export interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS trades_by_symbol_day (
  symbol TEXT NOT NULL, day TEXT NOT NULL, time INTEGER NOT NULL, seq INTEGER NOT NULL,
  price REAL NOT NULL, size REAL NOT NULL, conditions TEXT NOT NULL,
  PRIMARY KEY (symbol, day, time, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS candles_by_symbol_interval_day (
  symbol TEXT NOT NULL, interval_ms INTEGER NOT NULL, day TEXT NOT NULL, start_ms INTEGER NOT NULL,
  open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
  volume REAL NOT NULL, vwap REAL NOT NULL, trades INTEGER NOT NULL, final INTEGER NOT NULL,
  indicators TEXT NOT NULL,
  PRIMARY KEY (symbol, interval_ms, day, start_ms)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS alerts_by_symbol_day (
  symbol TEXT NOT NULL, day TEXT NOT NULL, time INTEGER NOT NULL, id TEXT NOT NULL,
  kind TEXT NOT NULL, value REAL NOT NULL, threshold REAL NOT NULL, user_id INTEGER, message TEXT NOT NULL,
  PRIMARY KEY (symbol, day, time, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS alerts_by_user (
  user_id INTEGER NOT NULL, time INTEGER NOT NULL, id TEXT NOT NULL,
  symbol TEXT NOT NULL, kind TEXT NOT NULL, value REAL NOT NULL, threshold REAL NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (user_id, time DESC, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS positions_by_user (
  user_id INTEGER NOT NULL, symbol TEXT NOT NULL,
  quantity REAL NOT NULL, avg_cost REAL NOT NULL, realized_pnl REAL NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, symbol)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS holders_by_symbol (
  symbol TEXT NOT NULL, user_id INTEGER NOT NULL, quantity REAL NOT NULL,
  PRIMARY KEY (symbol, user_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS portfolio_history_by_user_day (
  user_id INTEGER NOT NULL, day TEXT NOT NULL, time INTEGER NOT NULL,
  value REAL NOT NULL, cost REAL NOT NULL, realized_pnl REAL NOT NULL, unrealized_pnl REAL NOT NULL,
  day_change REAL NOT NULL,
  PRIMARY KEY (user_id, day, time)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS fills_by_user (
  user_id INTEGER NOT NULL, time INTEGER NOT NULL, fill_id TEXT NOT NULL,
  symbol TEXT NOT NULL, side TEXT NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
  PRIMARY KEY (user_id, time DESC, fill_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS firm_stats_by_day (
  day TEXT NOT NULL, bucket INTEGER NOT NULL, shard INTEGER NOT NULL, stats TEXT NOT NULL,
  PRIMARY KEY (day, bucket, shard)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS alert_rules (
  id TEXT NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL, symbol TEXT NOT NULL, kind TEXT NOT NULL,
  threshold REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_rules_by_symbol ON alert_rules (symbol, id);

-- Append-only: the rowid orders rows written in the same millisecond.
CREATE TABLE IF NOT EXISTS deadletters (
  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, source_topic TEXT NOT NULL, src_partition INTEGER NOT NULL,
  src_offset INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL
);
-- Where a record came from identifies its deadletter row, so a replay rewrites it instead of adding one.
CREATE UNIQUE INDEX IF NOT EXISTS deadletters_by_source ON deadletters (source_topic, src_partition, src_offset);
CREATE INDEX IF NOT EXISTS deadletters_by_time ON deadletters (time);

-- One row per (processor, partition): offsets and state change together in one statement.
CREATE TABLE IF NOT EXISTS checkpoints (
  processor TEXT NOT NULL, part INTEGER NOT NULL, offsets TEXT NOT NULL, state BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (processor, part)
) WITHOUT ROWID;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
