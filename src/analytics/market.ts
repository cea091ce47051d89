// MarketAnalytics: the whole analytics state of one partition — candles and indicators at every
// interval, price alerts, user rules and anomaly scores — fed validated, not-late trades and the
// partition's watermark, drained into candles and alerts, and snapshotted as one byte array.

import { createHash } from 'node:crypto';
import type { Alert, AlertRule, Candle, EventTimeMs, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { PriceAlerts, type SetRulesResult } from './alerts.ts';
import { AnomalyDetector } from './anomalies.ts';
import { ByteReader, ByteWriter, corrupt } from './bytes.ts';
import { CandleBook } from './candles.ts';
import { type AnalyticsConfig, resolveAnalyticsConfig } from './config.ts';

const MAGIC = 0x54534d41; // "TSMA"
/**
 * 2: only the symbols that have had a trade are written, each series by its live contents (open lanes,
 * indicators once warm, window deques); the universe by its size and SHA-256, not its names.
 * 3: and the candle book's provisional spacing (its clock and each series' last provisional update).
 * Format 2 is still read (spacing starts afresh).
 */
const VERSION = 3;

/** size (u32) + SHA-256 of the symbol names, per universe object (a partition's tasks share one). */
const fingerprints = new WeakMap<Universe, Uint8Array>();
const fingerprintOf = (u: Universe): Uint8Array => {
  let f = fingerprints.get(u);
  if (f === undefined) {
    f = new Uint8Array(createHash('sha256').update(JSON.stringify(u.symbols)).digest());
    fingerprints.set(u, f);
  }
  return f;
};

/** The parts of the config that decide the layout of the state. */
const shapeOf = (c: AnalyticsConfig): unknown => [
  c.intervalsMs,
  c.smaPeriods,
  c.emaPeriods,
  c.rsiPeriod,
  c.bollinger.period,
  c.anomaly.intervalMs,
  c.anomaly.window,
  c.openBucketsPerSeries,
];

export interface AnalyticsOutput {
  candles: Candle[];
  alerts: Alert[];
}

export class MarketAnalytics {
  readonly config: AnalyticsConfig;
  readonly universe: Universe;
  private readonly candles: CandleBook;
  private readonly alerts: PriceAlerts;
  private readonly anomalies: AnomalyDetector;
  private readonly anomalyK: number;
  /**
   * Final candles restored from a snapshot and not drained yet; those finalised since are logged in the
   * candle book as numbers (and built at drain). Provisional candles are built at drain too.
   */
  private restoredFinals: Candle[] = [];
  private pendingAlerts: Alert[] = [];
  private rejectedLate = 0;
  /**
   * Symbols that have had an accepted trade, in first-trade order (`traded` marks them): the only ones
   * whose state differs from the initial one, so the only ones a snapshot writes. A partition of the
   * trades topic holds a fraction of the universe.
   */
  private readonly tradedList: Int32Array;
  private tradedCount = 0;
  private readonly traded: Uint8Array;

  constructor(config: AnalyticsConfig, universe: Universe) {
    this.config = resolveAnalyticsConfig(config);
    this.universe = universe;
    const c = this.config;
    const symbols = universe.symbols;
    this.candles = new CandleBook(symbols, {
      intervalsMs: c.intervalsMs,
      openBucketsPerSeries: c.openBucketsPerSeries,
      indicators: c,
      provisionalEveryMs: c.provisionalEveryMs,
    });
    this.alerts = new PriceAlerts(symbols, c);
    this.anomalies = new AnomalyDetector(symbols, c.anomaly);
    this.anomalyK = c.intervalsMs.indexOf(c.anomaly.intervalMs);
    this.tradedList = new Int32Array(symbols.length);
    this.traded = new Uint8Array(symbols.length);
    this.candles.onFinal = (s, k, start, volume, close) => {
      if (k === this.anomalyK) this.anomalies.onBarValues(s, start, volume, close, this.pendingAlerts);
    };
  }

  /** Trades refused so far because they fell into an already final bucket (the caller's job, guarded). */
  get lateRejected(): number {
    return this.rejectedLate;
  }

  get watermark(): number {
    return this.candles.watermark;
  }

  /**
   * Applies a validated trade. Returns false, changing nothing, for an unknown symbol or a trade that
   * falls into an already final bucket. `symbolIndex` may be passed when the caller already has it.
   */
  onTrade(t: Trade, symbolIndex?: number): boolean {
    const s = symbolIndex ?? this.universe.index(t.symbol);
    if (s < 0) return false;
    return this.onTradeOf(s, t.price, t.size, t.time, t.seq);
  }

  /** onTrade of a validated trade given by its fields and its symbol's index (the consumer's hot path). */
  onTradeOf(s: number, price: number, size: number, time: number, seq: number): boolean {
    if (!this.candles.add(s, price, size, time, seq)) {
      this.rejectedLate++;
      return false;
    }
    if (this.traded[s] === 0) {
      this.traded[s] = 1;
      this.tradedList[this.tradedCount++] = s;
    }
    this.alerts.onTrade(s, price, time, seq, this.pendingAlerts);
    return true;
  }

  /** Finalises every bucket whose end ≤ wm (never moves backwards; +∞ closes everything). */
  advanceWatermark(wm: EventTimeMs): void {
    this.candles.advanceWatermark(wm);
  }

  setRules(rules: readonly AlertRule[]): SetRulesResult {
    return this.alerts.setRules(rules, (s) => this.universe.index(s));
  }

  /**
   * Pushes what was produced since the last drain — each final candle once, then one provisional
   * candle per series whose forming bar changed, then the alerts — and forgets it.
   */
  drain(out: AnalyticsOutput): void {
    for (const c of this.restoredFinals) out.candles.push(c);
    this.restoredFinals = [];
    this.candles.drainFinals(out.candles);
    this.candles.emitProvisional(out.candles);
    for (const a of this.pendingAlerts) out.alerts.push(a);
    this.pendingAlerts = [];
  }

  /** Whether a drain now would output something, even with no new trade (e.g. held-back provisional bars). */
  get hasPendingOutput(): boolean {
    return (
      this.candles.pendingProvisional > 0 ||
      this.candles.pendingFinals > 0 ||
      this.pendingAlerts.length > 0 ||
      this.restoredFinals.length > 0
    );
  }

  /** Symbols that have had an accepted trade (those a snapshot holds state for). */
  get symbolsTraded(): number {
    return this.tradedCount;
  }

  /**
   * The state as bytes, proportional to the symbols traded and their live state (open buckets, window
   * deques, outputs not drained), not to the universe: a header of ~150 bytes, then per traded symbol
   * its slices of every component.
   */
  snapshot(): Uint8Array {
    const w = new ByteWriter();
    w.u32(MAGIC);
    w.u32(VERSION);
    w.u32(this.universe.size);
    w.u8s(fingerprintOf(this.universe));
    w.json(shapeOf(this.config));
    w.f64(this.rejectedLate);
    const symbols = this.tradedList.slice(0, this.tradedCount).sort();
    w.i32s(symbols);
    this.candles.write(w, symbols);
    this.alerts.write(w, symbols);
    this.anomalies.write(w, symbols);
    const finals = [...this.restoredFinals];
    this.candles.peekFinals(finals);
    w.json({ finals, alerts: this.pendingAlerts });
    return w.finish();
  }

  /**
   * Rebuilds from a snapshot. The universe and the state-shaping parts of the config (intervals,
   * periods, windows) must be the ones it was taken with; thresholds, k and hysteresis may change.
   * Otherwise TickstreamError(CHECKPOINT_CORRUPT).
   */
  static restore(bytes: Uint8Array, config: AnalyticsConfig, universe: Universe): MarketAnalytics {
    const m = new MarketAnalytics(config, universe);
    const r = new ByteReader(bytes);
    if (r.u32() !== MAGIC) throw corrupt('not an analytics snapshot');
    const v = r.u32();
    if (v !== VERSION && v !== 2) throw corrupt(`version ${v}, expected ${VERSION}`);
    const size = r.u32();
    const fingerprint = r.u8s();
    const own = fingerprintOf(universe);
    if (
      size !== universe.size ||
      !own.every((b, i) => fingerprint[i] === b) ||
      fingerprint.length !== own.length
    ) {
      throw corrupt('taken with a different symbol universe');
    }
    if (JSON.stringify(r.json()) !== JSON.stringify(shapeOf(m.config))) {
      throw corrupt('taken with different intervals, indicator periods or windows');
    }
    m.rejectedLate = r.f64();
    const symbols = r.i32s();
    let prev = -1;
    for (const s of symbols) {
      // ascending and in range: each symbol once, so every slice lands in state still initial
      if (s <= prev || s >= universe.size) throw corrupt(`symbol index ${s} out of order or range`);
      prev = s;
      m.traded[s] = 1;
    }
    m.tradedList.set(symbols);
    m.tradedCount = symbols.length;
    m.candles.read(r, symbols, v >= 3);
    m.alerts.read(r, symbols);
    m.anomalies.read(r, symbols);
    const pending = r.json() as { finals?: unknown; alerts?: unknown };
    if (!Array.isArray(pending.finals) || !Array.isArray(pending.alerts))
      throw corrupt('bad pending outputs');
    m.restoredFinals = pending.finals as Candle[];
    m.pendingAlerts = pending.alerts as Alert[];
    if (!r.done) throw corrupt('trailing bytes');
    return m;
  }
}
