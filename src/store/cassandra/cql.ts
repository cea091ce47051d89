// Every statement the adapter runs, fully qualified by keyspace (the client connects without one, since
// `migrate` may have to create it). All are executed prepared (`prepare: true`): parsed once per
// connection, bound as binary values, and routed token-aware by their partition key.

export const DEADLETTER_OFFSET_BUCKET = 2 ** 20;
/** partition_index table names for the day-bucketed series. */
export const SERIES = {
  trades: 'trades',
  candles: 'candles',
  alerts: 'alerts',
  portfolio: 'portfolio',
  deadletters: 'deadletters',
  fills: 'fills',
  alertsByUser: 'alerts_by_user',
} as const;

export const statements = (ks: string) => ({
  schemaVersion: `SELECT version FROM ${ks}.schema_version WHERE id = 0`,
  setSchemaVersion: `INSERT INTO ${ks}.schema_version (id, version) VALUES (0, ?)`,

  indexDay: `INSERT INTO ${ks}.partition_index (tbl, key, day) VALUES (?, ?, ?)`,
  daysAsc: `SELECT day FROM ${ks}.partition_index WHERE tbl = ? AND key = ? AND day >= ? AND day <= ?`,
  daysDesc: `SELECT day FROM ${ks}.partition_index WHERE tbl = ? AND key = ? ORDER BY day DESC`,

  upsertTrade: `INSERT INTO ${ks}.trades_by_symbol_day (symbol, day, time, seq, print) VALUES (?, ?, ?, ?, ?)`,
  // The value columns for rows written before schema v3 (see toTrade), as for candles.
  trades: `SELECT symbol, time, seq, print, price, size, conditions FROM ${ks}.trades_by_symbol_day
      WHERE symbol = ? AND day = ? AND time >= ? AND time < ? LIMIT ?`,

  upsertCandle: `INSERT INTO ${ks}.candles_by_symbol_interval_day (symbol, interval_ms, day, start_ms, bar)
      VALUES (?, ?, ?, ?, ?)`,
  candles: `SELECT symbol, interval_ms, start_ms, bar, open, high, low, close, volume, vwap, trades, final, indicators
      FROM ${ks}.candles_by_symbol_interval_day
      WHERE symbol = ? AND interval_ms = ? AND day = ? AND start_ms >= ? AND start_ms < ?`,

  upsertAlertBySymbol: `INSERT INTO ${ks}.alerts_by_symbol_day
      (symbol, day, time, id, kind, value, threshold, user_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  upsertAlertByUser: `INSERT INTO ${ks}.alerts_by_user_day
      (user_id, day, time, id, symbol, kind, value, threshold, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  alertsBySymbol: `SELECT symbol, time, id, kind, value, threshold, user_id, message FROM ${ks}.alerts_by_symbol_day
      WHERE symbol = ? AND day = ? AND time >= ? AND time < ?`,
  alertsByUser: `SELECT user_id, time, id, symbol, kind, value, threshold, message FROM ${ks}.alerts_by_user_day
      WHERE user_id = ? AND day = ? LIMIT ?`,

  upsertPosition: `INSERT INTO ${ks}.positions_by_user (user_id, symbol, quantity, avg_cost, realized_pnl, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`,
  upsertHolder: `INSERT INTO ${ks}.holders_by_symbol_shard (symbol, shard, user_id, quantity) VALUES (?, ?, ?, ?)`,
  deleteHolder: `DELETE FROM ${ks}.holders_by_symbol_shard WHERE symbol = ? AND shard = ? AND user_id = ?`,
  positions: `SELECT user_id, symbol, quantity, avg_cost, realized_pnl, updated_at FROM ${ks}.positions_by_user
      WHERE user_id = ?`,
  holders: `SELECT user_id, quantity FROM ${ks}.holders_by_symbol_shard WHERE symbol = ? AND shard = ? LIMIT ?`,

  upsertPortfolioValue: `INSERT INTO ${ks}.portfolio_history_by_user_day
      (user_id, day, time, value, cost, realized_pnl, unrealized_pnl, day_change) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  portfolioHistory: `SELECT user_id, time, value, cost, realized_pnl, unrealized_pnl, day_change
      FROM ${ks}.portfolio_history_by_user_day WHERE user_id = ? AND day = ? AND time >= ? AND time < ?`,

  upsertFill: `INSERT INTO ${ks}.fills_by_user_day (user_id, day, time, fill_id, symbol, side, quantity, price)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  lastFills: `SELECT user_id, time, fill_id, symbol, side, quantity, price FROM ${ks}.fills_by_user_day
      WHERE user_id = ? AND day = ? LIMIT ?`,

  upsertFirmStats: `INSERT INTO ${ks}.firm_stats_by_day (day, bucket, shard, stats) VALUES (?, ?, ?, ?)`,
  firmStats: `SELECT day, bucket, stats FROM ${ks}.firm_stats_by_day WHERE day = ?`,

  alertRuleSymbol: `SELECT symbol FROM ${ks}.alert_rules WHERE id = ?`,
  upsertAlertRule: `INSERT INTO ${ks}.alert_rules (id, user_id, symbol, kind, threshold) VALUES (?, ?, ?, ?, ?)`,
  upsertAlertRuleBySymbol: `INSERT INTO ${ks}.alert_rules_by_symbol (symbol, id, user_id, kind, threshold)
      VALUES (?, ?, ?, ?, ?)`,
  deleteAlertRuleBySymbol: `DELETE FROM ${ks}.alert_rules_by_symbol WHERE symbol = ? AND id = ?`,
  alertRules: `SELECT id, user_id, symbol, kind, threshold FROM ${ks}.alert_rules`,
  alertRulesBySymbol: `SELECT id, user_id, symbol, kind, threshold FROM ${ks}.alert_rules_by_symbol WHERE symbol = ?`,

  deadletterSource: `SELECT day, time FROM ${ks}.deadletter_sources
      WHERE source_topic = ? AND src_partition = ? AND offset_bucket = ? AND src_offset = ?`,
  upsertDeadletterSource: `INSERT INTO ${ks}.deadletter_sources
      (source_topic, src_partition, offset_bucket, src_offset, day, time) VALUES (?, ?, ?, ?, ?, ?)`,
  insertDeadletter: `INSERT INTO ${ks}.deadletters_by_day
      (day, time, source_topic, src_partition, src_offset, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  deleteDeadletter: `DELETE FROM ${ks}.deadletters_by_day
      WHERE day = ? AND time = ? AND source_topic = ? AND src_partition = ? AND src_offset = ?`,
  deadletters: `SELECT time, source_topic, src_partition, src_offset, reason, detail, payload
      FROM ${ks}.deadletters_by_day WHERE day = ? LIMIT ?`,

  saveCheckpoint: `INSERT INTO ${ks}.checkpoints
      (processor, part, offsets, state, updated_at, generation, chunks, state_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  loadCheckpoint: `SELECT processor, part, offsets, state, updated_at, generation, chunks, state_size
      FROM ${ks}.checkpoints WHERE processor = ? AND part = ?`,
  checkpointGeneration: `SELECT generation, chunks FROM ${ks}.checkpoints WHERE processor = ? AND part = ?`,
  insertCheckpointChunk: `INSERT INTO ${ks}.checkpoint_chunks (processor, part, generation, seq, data)
      VALUES (?, ?, ?, ?, ?)`,
  checkpointChunks: `SELECT seq, data FROM ${ks}.checkpoint_chunks WHERE processor = ? AND part = ? AND generation = ?`,
  deleteCheckpointChunks: `DELETE FROM ${ks}.checkpoint_chunks WHERE processor = ? AND part = ? AND generation = ?`,
});

export type Statements = ReturnType<typeof statements>;
