// CQL schema of the production store, as ordered idempotent migrations (CREATE ... IF NOT EXISTS),
// applied by `migrate()` and recorded in `schema_version`. Tables follow src/store/schema.md: one per
// query shape, the primary key is the upsert identity, and every time-series table is partitioned by
// a UTC day bucket so that no partition grows without bound.
//
// Additions to schema.md that Cassandra needs (SQLite answers these with one index seek):
// - `partition_index`: for each series (table + key) the day buckets that hold rows. Written before
//   the rows themselves, so a range query only visits days that exist; open ranges (from 0 to +∞)
//   cost one small read plus one read per day present, not one per calendar day.
// - `alert_rules_by_symbol`: the by-symbol view of `alert_rules` (no secondary indexes in production).
// - deadletters in day partitions ordered by time, plus `deadletter_sources`, the pointer from a
//   source record (topic, partition, offset) to its current row, so a replay replaces the row.
//
// Integers are `bigint` (times, sequence numbers, users, offsets, counts), prices and quantities
// `double`, nested documents JSON `text` (a frozen collection would not save anything at read time,
// and a non-frozen one writes a tombstone on every overwrite). Since v3 a candle's and a trade's
// values are one frozen UDT cell each, which costs the node less per row written (value-cells.ts).

import { valueTypeDdl } from './value-cells.ts';

export interface Migration {
  version: number;
  statements: (ks: string) => string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.trades_by_symbol_day (
        symbol text, day text, time bigint, seq bigint,
        price double, size double, conditions text,
        PRIMARY KEY ((symbol, day), time, seq))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.candles_by_symbol_interval_day (
        symbol text, interval_ms bigint, day text, start_ms bigint,
        open double, high double, low double, close double, volume double, vwap double,
        trades bigint, final boolean, indicators text,
        PRIMARY KEY ((symbol, interval_ms, day), start_ms))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.alerts_by_symbol_day (
        symbol text, day text, time bigint, id text,
        kind text, value double, threshold double, user_id bigint, message text,
        PRIMARY KEY ((symbol, day), time, id))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.alerts_by_user (
        user_id bigint, time bigint, id text,
        symbol text, kind text, value double, threshold double, message text,
        PRIMARY KEY ((user_id), time, id))
        WITH CLUSTERING ORDER BY (time DESC, id ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.positions_by_user (
        user_id bigint, symbol text,
        quantity double, avg_cost double, realized_pnl double, updated_at bigint,
        PRIMARY KEY ((user_id), symbol))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.holders_by_symbol (
        symbol text, user_id bigint, quantity double,
        PRIMARY KEY ((symbol), user_id))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.portfolio_history_by_user_day (
        user_id bigint, day text, time bigint,
        value double, cost double, realized_pnl double, unrealized_pnl double, day_change double,
        PRIMARY KEY ((user_id, day), time))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.fills_by_user (
        user_id bigint, time bigint, fill_id text,
        symbol text, side text, quantity double, price double,
        PRIMARY KEY ((user_id), time, fill_id))
        WITH CLUSTERING ORDER BY (time DESC, fill_id ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.firm_stats_by_day (
        day text, bucket bigint, shard int, stats text,
        PRIMARY KEY ((day), bucket, shard))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.alert_rules (
        id text PRIMARY KEY, user_id bigint, symbol text, kind text, threshold double)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.alert_rules_by_symbol (
        symbol text, id text, user_id bigint, kind text, threshold double,
        PRIMARY KEY ((symbol), id))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.deadletters_by_day (
        day text, time bigint, source_topic text, src_partition int, src_offset bigint,
        reason text, detail text, payload blob,
        PRIMARY KEY ((day), time, source_topic, src_partition, src_offset))
        WITH CLUSTERING ORDER BY (time DESC, source_topic ASC, src_partition ASC, src_offset ASC)`,
      // Bucketed by offset (2^20 offsets each) so a hot source partition does not grow one partition.
      `CREATE TABLE IF NOT EXISTS ${ks}.deadletter_sources (
        source_topic text, src_partition int, offset_bucket bigint, src_offset bigint,
        day text, time bigint,
        PRIMARY KEY ((source_topic, src_partition, offset_bucket), src_offset))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.checkpoints (
        processor text, part int, offsets text, state blob, updated_at bigint,
        PRIMARY KEY ((processor, part)))`,
      `CREATE TABLE IF NOT EXISTS ${ks}.partition_index (
        tbl text, key text, day text,
        PRIMARY KEY ((tbl, key), day))`,
    ],
  },
  {
    // v1 had three partitions that grow without bound, which Cassandra pays for in compaction, repair
    // and reads (it wants partitions well under ~100 MB and ~100k rows):
    // - a user's fills and alerts, keyed by user alone (an algorithmic account with 10,000 fills a day
    //   passes 100 MB within a year): now bucketed by UTC day like every other time series, newest
    //   first within a day; `partition_index` lists a user's days;
    // - the holders of a symbol, keyed by symbol alone (with 10M users a popular symbol has millions):
    //   now spread over HOLDER_SHARDS partitions by user id, each ascending by user.
    // v1's `fills_by_user`, `alerts_by_user` and `holders_by_symbol` are no longer read or written;
    // they stay so that an upgrade never drops data (no deployment had written to them when this was
    // changed).
    // And a checkpoint's state may exceed what one request can carry (the native protocol's 16 MiB
    // frame; a portfolio partition of ~80,000 users of 5 positions does): a large state goes to
    // `checkpoint_chunks` under a fresh generation, and the `checkpoints` row then names that
    // generation (chunks > 0).
    version: 2,
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.fills_by_user_day (
        user_id bigint, day text, time bigint, fill_id text,
        symbol text, side text, quantity double, price double,
        PRIMARY KEY ((user_id, day), time, fill_id))
        WITH CLUSTERING ORDER BY (time DESC, fill_id ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.alerts_by_user_day (
        user_id bigint, day text, time bigint, id text,
        symbol text, kind text, value double, threshold double, message text,
        PRIMARY KEY ((user_id, day), time, id))
        WITH CLUSTERING ORDER BY (time DESC, id ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.holders_by_symbol_shard (
        symbol text, shard int, user_id bigint, quantity double,
        PRIMARY KEY ((symbol, shard), user_id))`,
      `ALTER TABLE ${ks}.checkpoints ADD IF NOT EXISTS (generation bigint, chunks int, state_size bigint)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.checkpoint_chunks (
        processor text, part int, generation bigint, seq int, data blob,
        PRIMARY KEY ((processor, part, generation), seq))`,
    ],
  },
  {
    // A candle's and a trade's values move into one frozen UDT cell each, `bar` and `print`
    // (value-cells.ts says why: 40 % and 18 % less node CPU per row written). New rows carry only
    // their key and that cell; rows written before keep their value columns and are still read from
    // them (a row with the cell is read from it).
    version: 3,
    statements: (ks) => [
      valueTypeDdl(ks, 'candle_bar'),
      `ALTER TABLE ${ks}.candles_by_symbol_interval_day ADD IF NOT EXISTS bar frozen<candle_bar>`,
      valueTypeDdl(ks, 'trade_print'),
      `ALTER TABLE ${ks}.trades_by_symbol_day ADD IF NOT EXISTS print frozen<trade_print>`,
    ],
  },
];

/** Partitions of one symbol's holders in `holders_by_symbol_shard` (the shard is user id mod this). */
export const HOLDER_SHARDS = 16;
/** The holders shard of a user (non-negative for negative ids too). */
export const holderShard = (user: number): number => ((user % HOLDER_SHARDS) + HOLDER_SHARDS) % HOLDER_SHARDS;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Keyspace DDL: NetworkTopologyStrategy in the local data center (SimpleStrategy is for tests only). */
export const keyspaceDdl = (ks: string, dataCenter: string, replicationFactor: number): string =>
  `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ` +
  `{'class': 'NetworkTopologyStrategy', '${dataCenter.replaceAll("'", "''")}': ${replicationFactor}}`;

export const schemaVersionDdl = (ks: string): string =>
  `CREATE TABLE IF NOT EXISTS ${ks}.schema_version (id int PRIMARY KEY, version int)`;
