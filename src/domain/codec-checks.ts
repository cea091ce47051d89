// Structural checks of the derived records (candles, alerts, positions, portfolio values, deadletters).
// Their producers are our own processors, so these guard against corruption and bugs rather than
// hostile feeds: finite numbers, bounded strings, integer ids, known enum values. The binary decoder runs
// them on every decoded record; producers may run them before encoding.
import type {
  Alert,
  AlertKind,
  Candle,
  Deadletter,
  DeadletterReason,
  IndicatorValues,
  PortfolioValue,
  Position,
} from './types.ts';
import {
  checkFinite,
  checkInt,
  checkNonNegative,
  checkPositive,
  checkText,
  checkTime,
  checkToken,
  checkUser,
  MAX_LONG,
  MAX_SYMBOL_LEN,
  type Rejection,
  reject,
  show,
} from './validate.ts';

export const MAX_ALERT_ID_LEN = 128;
export const MAX_MESSAGE_LEN = 1024;
export const MAX_DETAIL_LEN = 2048;
/** Kafka's own limit on topic names. */
export const MAX_TOPIC_LEN = 249;
export const MAX_INDICATOR_PERIOD = 10_000;
export const MAX_INTERVAL_MS = 366 * 24 * 3600 * 1000;

/** Every alert kind, in the order of the Avro enum's symbols (schemas/alert.v1: the wire index). */
export const ALERT_KIND_ORDER: readonly AlertKind[] = [
  'move_vs_prev_close',
  'move_in_window',
  'price_above',
  'price_below',
  'pct_move',
  'volume_zscore',
  'return_zscore',
];
export const ALERT_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(ALERT_KIND_ORDER);

export const DEADLETTER_REASONS: ReadonlySet<DeadletterReason> = new Set<DeadletterReason>([
  'decode_error',
  'oversized',
  'invalid_field',
  'non_positive',
  'non_finite',
  'unknown_symbol',
  'bad_timestamp',
  'duplicate',
  'late',
  'unknown_shape',
]);

const notObject = (name: string, v: unknown): Rejection | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? undefined
    : reject('unknown_shape', `${name} must be an object, got ${show(v)}`);

/** Period → value maps: keys are canonical decimal periods 1..MAX_INDICATOR_PERIOD, values finite. */
const checkByPeriod = (name: string, m: unknown): Rejection | undefined => {
  if (m === undefined) return undefined;
  const r = notObject(name, m);
  if (r !== undefined) return r;
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    const p = Number(k);
    if (!Number.isInteger(p) || p < 1 || p > MAX_INDICATOR_PERIOD || String(p) !== k) {
      return reject(
        'invalid_field',
        `${name} period ${show(k)} is not an integer in 1..${MAX_INDICATOR_PERIOD}`,
      );
    }
    const e = checkFinite(`${name}[${k}]`, v);
    if (e !== undefined) return e;
  }
  return undefined;
};

export const checkIndicators = (iv: IndicatorValues): Rejection | undefined => {
  const r = notObject('indicators', iv) ?? checkByPeriod('sma', iv.sma) ?? checkByPeriod('ema', iv.ema);
  if (r !== undefined) return r;
  if (iv.rsi !== undefined) {
    const e = checkFinite('rsi', iv.rsi);
    if (e !== undefined) return e;
    if (iv.rsi < 0 || iv.rsi > 100) return reject('invalid_field', `rsi must be in 0..100, got ${iv.rsi}`);
  }
  const b = iv.bollinger;
  if (b === undefined) return undefined;
  return (
    notObject('bollinger', b) ??
    checkFinite('bollinger.upper', b.upper) ??
    checkFinite('bollinger.middle', b.middle) ??
    checkFinite('bollinger.lower', b.lower)
  );
};

export const checkCandle = (c: Candle): Rejection | undefined => {
  const r =
    notObject('candle', c) ??
    checkToken('symbol', c.symbol, MAX_SYMBOL_LEN) ??
    checkInt('intervalMs', c.intervalMs, 1, MAX_INTERVAL_MS) ??
    checkTime('start', c.start) ??
    checkPositive('open', c.open) ??
    checkPositive('high', c.high) ??
    checkPositive('low', c.low) ??
    checkPositive('close', c.close) ??
    checkNonNegative('volume', c.volume) ??
    checkNonNegative('vwap', c.vwap) ??
    checkInt('trades', c.trades, 0, MAX_LONG);
  if (r !== undefined) return r;
  // High and low are the max and min of the same prices as open and close: exact, no tolerance needed.
  if (!(c.low <= c.open && c.low <= c.close && c.high >= c.open && c.high >= c.close)) {
    return reject(
      'invalid_field',
      `candle OHLC inconsistent: o=${c.open} h=${c.high} l=${c.low} c=${c.close}`,
    );
  }
  if (typeof c.final !== 'boolean')
    return reject('invalid_field', `final must be a boolean, got ${show(c.final)}`);
  return checkIndicators(c.indicators);
};

export const checkAlert = (a: Alert): Rejection | undefined =>
  notObject('alert', a) ??
  checkToken('symbol', a.symbol, MAX_SYMBOL_LEN) ??
  checkTime('time', a.time) ??
  (ALERT_KINDS.has(a.kind) ? undefined : reject('invalid_field', `unknown alert kind ${show(a.kind)}`)) ??
  checkFinite('value', a.value) ??
  checkFinite('threshold', a.threshold) ??
  (a.user === undefined ? undefined : checkUser('user', a.user)) ??
  checkToken('id', a.id, MAX_ALERT_ID_LEN) ??
  checkText('message', a.message, MAX_MESSAGE_LEN);

export const checkPosition = (p: Position): Rejection | undefined =>
  notObject('position', p) ??
  checkUser('user', p.user) ??
  checkToken('symbol', p.symbol, MAX_SYMBOL_LEN) ??
  checkFinite('quantity', p.quantity) ??
  checkNonNegative('avgCost', p.avgCost) ??
  checkFinite('realizedPnl', p.realizedPnl) ??
  checkTime('updatedAt', p.updatedAt);

export const checkPortfolioValue = (v: PortfolioValue): Rejection | undefined =>
  notObject('portfolio value', v) ??
  checkUser('user', v.user) ??
  checkTime('time', v.time) ??
  checkFinite('value', v.value) ??
  checkFinite('cost', v.cost) ??
  checkFinite('realizedPnl', v.realizedPnl) ??
  checkFinite('unrealizedPnl', v.unrealizedPnl) ??
  checkFinite('dayChange', v.dayChange);

/** Deadletters from edges that are not the bus (HTTP, files) carry partition and offset -1. */
export const checkDeadletter = (d: Deadletter, maxPayload: number): Rejection | undefined =>
  notObject('deadletter', d) ??
  checkToken('sourceTopic', d.sourceTopic, MAX_TOPIC_LEN) ??
  checkInt('partition', d.partition, -1, 2 ** 31 - 1) ??
  checkInt('offset', d.offset, -1, MAX_LONG) ??
  (DEADLETTER_REASONS.has(d.reason)
    ? undefined
    : reject('invalid_field', `unknown reason ${show(d.reason)}`)) ??
  checkText('detail', d.detail, MAX_DETAIL_LEN) ??
  (d.payload instanceof Uint8Array && d.payload.length <= maxPayload
    ? undefined
    : reject('invalid_field', `payload must be at most ${maxPayload} bytes`)) ??
  checkTime('time', d.time);
