// Core records of tickstream. Every other layer depends on these; this file depends on nothing.
//
// Nominal (branded) number types exist only at compile time: they cost nothing at run time but stop
// an event time being passed where a processing time is expected, or a price where a quantity is.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Milliseconds since the Unix epoch at which something happened in the market (event time). */
export type EventTimeMs = Brand<number, 'EventTimeMs'>;
/** Milliseconds since the Unix epoch on this machine's clock when we handled something (processing time). */
export type ProcTimeMs = Brand<number, 'ProcTimeMs'>;
/** A price per share, in the quote currency. */
export type Price = Brand<number, 'Price'>;
/** A number of shares. Positive; direction is carried by `Side`. */
export type Quantity = Brand<number, 'Quantity'>;
/** A duration in milliseconds (candle intervals, lateness, windows). */
export type DurationMs = Brand<number, 'DurationMs'>;

export const eventTime = (ms: number): EventTimeMs => ms as EventTimeMs;
export const procTime = (ms: number): ProcTimeMs => ms as ProcTimeMs;
export const price = (p: number): Price => p as Price;
export const quantity = (q: number): Quantity => q as Quantity;
export const duration = (ms: number): DurationMs => ms as DurationMs;
export const nowProc = (): ProcTimeMs => Date.now() as ProcTimeMs;

/** A market trade (one print on the tape). Key on the bus: symbol. */
export interface Trade {
  symbol: string;
  price: Price;
  size: Quantity;
  time: EventTimeMs;
  /** Trade condition codes as the feed gives them (Finnhub `c`, TAQ sale condition); may be empty. */
  conditions: string[];
  /** Per-source sequence number; with symbol and time it identifies a trade (duplicates are dropped). */
  seq: number;
}

export type Side = 'buy' | 'sell';

/** A user's execution. Key on the bus: user. */
export interface Fill {
  fillId: string;
  /** Users are dense integers (0 .. users-1) so that state for millions of them fits in typed arrays. */
  user: number;
  symbol: string;
  side: Side;
  quantity: Quantity;
  price: Price;
  time: EventTimeMs;
}

/** OHLCV bar for one symbol and interval. `final` is false while the bar is still forming. */
export interface Candle {
  symbol: string;
  intervalMs: DurationMs;
  /** Bucket start (inclusive), event time, aligned to a multiple of intervalMs since the epoch. */
  start: EventTimeMs;
  open: Price;
  high: Price;
  low: Price;
  close: Price;
  volume: Quantity;
  /** Σ price × size / Σ size. */
  vwap: Price;
  trades: number;
  final: boolean;
  /** Indicator values over closes of this interval, at this bar; missing while warming up. */
  indicators: IndicatorValues;
}

export interface IndicatorValues {
  /** SMA by period, e.g. { 5: 101.2, 10: 100.8 } */
  sma?: Record<number, number>;
  ema?: Record<number, number>;
  rsi?: number;
  bollinger?: { upper: number; middle: number; lower: number };
}

export type AlertKind =
  | 'move_vs_prev_close'
  | 'move_in_window'
  | 'price_above'
  | 'price_below'
  | 'pct_move'
  | 'volume_zscore'
  | 'return_zscore';

export interface Alert {
  symbol: string;
  time: EventTimeMs;
  kind: AlertKind;
  /** The observed value (price, percent move or z-score). */
  value: number;
  /** The threshold it crossed. */
  threshold: number;
  /** Set for user-defined rules. */
  user?: number;
  /** A stable id (deterministic from the inputs) so that a replay upserts the same row. */
  id: string;
  message: string;
}

export interface Position {
  user: number;
  symbol: string;
  /** Signed: positive long, negative short. */
  quantity: number;
  /** Average cost per share of the open quantity. */
  avgCost: Price;
  realizedPnl: number;
  updatedAt: EventTimeMs;
}

/** A user-defined per-symbol alert rule. */
export interface AlertRule {
  id: string;
  user: number;
  symbol: string;
  kind: 'price_above' | 'price_below' | 'pct_move';
  threshold: number;
}

/** A portfolio snapshot for one user at a point in time (value history and live pushes). */
export interface PortfolioValue {
  user: number;
  time: EventTimeMs;
  value: number;
  cost: number;
  realizedPnl: number;
  unrealizedPnl: number;
  dayChange: number;
}

/** A record that could not be processed, with the reason and where it came from. */
export interface Deadletter {
  sourceTopic: string;
  partition: number;
  offset: number;
  reason: DeadletterReason;
  detail: string;
  /** The original bytes, kept so nothing is lost. */
  payload: Uint8Array;
  time: ProcTimeMs;
}

export type DeadletterReason =
  | 'decode_error'
  | 'oversized'
  | 'invalid_field'
  | 'non_positive'
  | 'non_finite'
  | 'unknown_symbol'
  | 'bad_timestamp'
  | 'duplicate'
  | 'late'
  | 'unknown_shape';
