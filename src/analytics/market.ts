// MarketAnalytics: the whole analytics state of one partition — candles and indicators at every
// interval, price alerts, user rules and anomaly scores — fed validated, not-late trades and the
// partition's watermark, drained into candles and alerts, and snapshotted as one byte array.
import type { Alert, AlertRule, Candle, EventTimeMs, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { PriceAlerts, type SetRulesResult } from './alerts.ts';
import { AnomalyDetector } from './anomalies.ts';
import { ByteReader, ByteWriter, corrupt } from './bytes.ts';
import { CandleBook } from './candles.ts';
import { type AnalyticsConfig, resolveAnalyticsConfig } from './config.ts';

const MAGIC = 0x54534d41; // "TSMA"
const VERSION = 1;

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

  constructor(config: AnalyticsConfig, universe: Universe) {
    this.config = resolveAnalyticsConfig(config);
    this.universe = universe;
    const c = this.config;
    const symbols = universe.symbols;
    this.candles = new CandleBook(symbols, {
      intervalsMs: c.intervalsMs,
      openBucketsPerSeries: c.openBucketsPerSeries,
      indicators: c,
    });
    this.alerts = new PriceAlerts(symbols, c);
    this.anomalies = new AnomalyDetector(symbols, c.anomaly);
    this.anomalyK = c.intervalsMs.indexOf(c.anomaly.intervalMs);
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
    if (!this.candles.add(s, t.price, t.size, t.time, t.seq)) {
      this.rejectedLate++;
      return false;
    }
    this.alerts.onTrade(s, t.price, t.time, t.seq, this.pendingAlerts);
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

  snapshot(): Uint8Array {
    const w = new ByteWriter();
    w.u32(MAGIC);
    w.u32(VERSION);
    w.json({ symbols: this.universe.symbols, shape: shapeOf(this.config) });
    w.f64(this.rejectedLate);
    this.candles.write(w);
    this.alerts.write(w);
    this.anomalies.write(w);
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
    if (v !== VERSION) throw corrupt(`version ${v}, expected ${VERSION}`);
    const head = r.json() as { symbols?: unknown; shape?: unknown };
    if (JSON.stringify(head.symbols) !== JSON.stringify(universe.symbols)) {
      throw corrupt('taken with a different symbol universe');
    }
    if (JSON.stringify(head.shape) !== JSON.stringify(shapeOf(m.config))) {
      throw corrupt('taken with different intervals, indicator periods or windows');
    }
    m.rejectedLate = r.f64();
    m.candles.read(r);
    m.alerts.read(r);
    m.anomalies.read(r);
    const pending = r.json() as { finals?: unknown; alerts?: unknown };
    if (!Array.isArray(pending.finals) || !Array.isArray(pending.alerts))
      throw corrupt('bad pending outputs');
    m.restoredFinals = pending.finals as Candle[];
    m.pendingAlerts = pending.alerts as Alert[];
    if (!r.done) throw corrupt('trailing bytes');
    return m;
  }
}
