// Every statement the store runs, prepared once per connection. Parameters are positional (`?`):
// binding by position is the cheapest path in node:sqlite and keeps the write loop allocation-light.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

const SQL = {
  upsertTrade: `INSERT INTO trades_by_symbol_day (symbol, day, time, seq, price, size, conditions)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (symbol, day, time, seq) DO UPDATE SET
      price = excluded.price, size = excluded.size, conditions = excluded.conditions`,
  trades: `SELECT symbol, time, seq, price, size, conditions FROM trades_by_symbol_day
    WHERE (symbol, day, time) >= (?, ?, ?) AND (symbol, day, time) < (?, ?, ?)
    ORDER BY symbol, day, time, seq LIMIT ?`,

  upsertCandle: `INSERT INTO candles_by_symbol_interval_day
      (symbol, interval_ms, day, start_ms, open, high, low, close, volume, vwap, trades, final, indicators)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (symbol, interval_ms, day, start_ms) DO UPDATE SET
      open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
      volume = excluded.volume, vwap = excluded.vwap, trades = excluded.trades, final = excluded.final,
      indicators = excluded.indicators`,
  candles: `SELECT symbol, interval_ms, start_ms, open, high, low, close, volume, vwap, trades, final, indicators
    FROM candles_by_symbol_interval_day
    WHERE (symbol, interval_ms, day, start_ms) >= (?, ?, ?, ?) AND (symbol, interval_ms, day, start_ms) < (?, ?, ?, ?)
    ORDER BY symbol, interval_ms, day, start_ms`,

  upsertAlertBySymbol: `INSERT INTO alerts_by_symbol_day (symbol, day, time, id, kind, value, threshold, user_id, message)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (symbol, day, time, id) DO UPDATE SET
      kind = excluded.kind, value = excluded.value, threshold = excluded.threshold,
      user_id = excluded.user_id, message = excluded.message`,
  upsertAlertByUser: `INSERT INTO alerts_by_user (user_id, time, id, symbol, kind, value, threshold, message)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, time, id) DO UPDATE SET
      symbol = excluded.symbol, kind = excluded.kind, value = excluded.value,
      threshold = excluded.threshold, message = excluded.message`,
  alertsBySymbol: `SELECT symbol, time, id, kind, value, threshold, user_id, message FROM alerts_by_symbol_day
    WHERE (symbol, day, time) >= (?, ?, ?) AND (symbol, day, time) < (?, ?, ?)
    ORDER BY symbol, day, time, id`,
  alertsByUser: `SELECT user_id, time, id, symbol, kind, value, threshold, message FROM alerts_by_user
    WHERE user_id = ? ORDER BY time DESC, id LIMIT ?`,

  upsertPosition: `INSERT INTO positions_by_user (user_id, symbol, quantity, avg_cost, realized_pnl, updated_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, symbol) DO UPDATE SET
      quantity = excluded.quantity, avg_cost = excluded.avg_cost, realized_pnl = excluded.realized_pnl,
      updated_at = excluded.updated_at`,
  positions: `SELECT user_id, symbol, quantity, avg_cost, realized_pnl, updated_at FROM positions_by_user
    WHERE user_id = ? ORDER BY symbol`,
  upsertHolder: `INSERT INTO holders_by_symbol (symbol, user_id, quantity) VALUES (?, ?, ?)
    ON CONFLICT (symbol, user_id) DO UPDATE SET quantity = excluded.quantity`,
  deleteHolder: 'DELETE FROM holders_by_symbol WHERE symbol = ? AND user_id = ?',
  holders: 'SELECT user_id, quantity FROM holders_by_symbol WHERE symbol = ? ORDER BY user_id LIMIT ?',

  upsertPortfolioValue: `INSERT INTO portfolio_history_by_user_day
      (user_id, day, time, value, cost, realized_pnl, unrealized_pnl, day_change)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, day, time) DO UPDATE SET
      value = excluded.value, cost = excluded.cost, realized_pnl = excluded.realized_pnl,
      unrealized_pnl = excluded.unrealized_pnl, day_change = excluded.day_change`,
  portfolioHistory: `SELECT user_id, time, value, cost, realized_pnl, unrealized_pnl, day_change
    FROM portfolio_history_by_user_day
    WHERE (user_id, day, time) >= (?, ?, ?) AND (user_id, day, time) < (?, ?, ?)
    ORDER BY user_id, day, time`,

  upsertFill: `INSERT INTO fills_by_user (user_id, time, fill_id, symbol, side, quantity, price)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, time, fill_id) DO UPDATE SET
      symbol = excluded.symbol, side = excluded.side, quantity = excluded.quantity, price = excluded.price`,
  lastFills: `SELECT user_id, time, fill_id, symbol, side, quantity, price FROM fills_by_user
    WHERE user_id = ? ORDER BY time DESC, fill_id LIMIT ?`,

  upsertFirmStats: `INSERT INTO firm_stats_by_day (day, bucket, shard, stats) VALUES (?, ?, ?, ?)
    ON CONFLICT (day, bucket, shard) DO UPDATE SET stats = excluded.stats`,
  firmStats: 'SELECT day, bucket, stats FROM firm_stats_by_day WHERE day = ? ORDER BY bucket, shard',

  upsertAlertRule: `INSERT INTO alert_rules (id, user_id, symbol, kind, threshold) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
      user_id = excluded.user_id, symbol = excluded.symbol, kind = excluded.kind, threshold = excluded.threshold`,
  alertRules: 'SELECT id, user_id, symbol, kind, threshold FROM alert_rules ORDER BY id',
  alertRulesBySymbol:
    'SELECT id, user_id, symbol, kind, threshold FROM alert_rules WHERE symbol = ? ORDER BY id',

  insertDeadletter: `INSERT INTO deadletters (time, source_topic, src_partition, src_offset, reason, detail, payload)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (source_topic, src_partition, src_offset) DO UPDATE SET
      time = excluded.time, reason = excluded.reason, detail = excluded.detail, payload = excluded.payload`,
  deadletters: `SELECT time, source_topic, src_partition, src_offset, reason, detail, payload FROM deadletters
    ORDER BY time DESC, id DESC LIMIT ?`,

  saveCheckpoint: `INSERT INTO checkpoints (processor, part, offsets, state, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (processor, part) DO UPDATE SET
      offsets = excluded.offsets, state = excluded.state, updated_at = excluded.updated_at`,
  loadCheckpoint: `SELECT processor, part, offsets, state, updated_at FROM checkpoints
    WHERE processor = ? AND part = ?`,
} as const;

export type Statements = { readonly [K in keyof typeof SQL]: StatementSync };

/** Prepares every statement; fails with "no such table" until the schema is migrated. */
export const prepareStatements = (db: DatabaseSync): Statements => {
  const out: Partial<Record<keyof typeof SQL, StatementSync>> = {};
  for (const key of Object.keys(SQL) as (keyof typeof SQL)[]) out[key] = db.prepare(SQL[key]);
  return out as Statements;
};
