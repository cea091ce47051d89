// Configuration of the market analytics processor, with the defaults the issue asks for. One resolve
// function validates and fills in, so every component can trust the numbers it is given.
import { TickstreamError } from '../domain/errors.ts';

export interface AnalyticsConfig {
  /** Candle intervals in ms, each a positive integer. */
  intervalsMs: number[];
  smaPeriods: number[];
  emaPeriods: number[];
  rsiPeriod: number;
  bollinger: { period: number; k: number };
  /** Threshold in percent for both the move against the previous close and the move within the window. */
  movePct: number;
  /** Rolling event-time window for the in-window move, ms. */
  moveWindowMs: number;
  /** Re-arm margin, in percent of each alert's threshold (0.5 → a 5% alert re-arms below 4.975%). */
  hysteresisPct: number;
  /** Volume and return z-scores over the last `window` final bars of `intervalMs` (one of intervalsMs). */
  anomaly: { intervalMs: number; window: number; z: number };
  /**
   * Buckets per (symbol, interval) held in typed arrays at once (forming bar plus those still open for
   * late trades). More open buckets than this still work, through a slower spill map.
   */
  openBucketsPerSeries: number;
  /**
   * Provisional updates of a series of a coarser interval than the finest go out at most once per this
   * much event time (0: on every drain, like the finest). Once a partition is caught up its outputs go out
   * after every input batch, i.e. every few ms; a 1 h bar redrawn 200 times a second costs encoding,
   * bus and store work and shows nothing the 1 s bar does not. Final bars always go out at once.
   */
  provisionalEveryMs: number;
}

export const DEFAULT_ANALYTICS_CONFIG: Readonly<AnalyticsConfig> = Object.freeze({
  intervalsMs: [1_000, 60_000, 300_000, 3_600_000],
  smaPeriods: [5, 10],
  emaPeriods: [12, 26],
  rsiPeriod: 14,
  bollinger: { period: 20, k: 2 },
  movePct: 5,
  moveWindowMs: 300_000,
  hysteresisPct: 0.5,
  anomaly: { intervalMs: 60_000, window: 30, z: 3 },
  // The runtime advances the watermark once per input batch (up to 5000 records), so a 1 s series keeps
  // the allowed lateness (2 s) plus a batch's span of buckets open: 4 lanes spilled on most batches of a
  // fast replay, 8 do not (768 bytes per series).
  openBucketsPerSeries: 8,
  provisionalEveryMs: 1000,
});

export type AnalyticsConfigInput = Partial<Omit<AnalyticsConfig, 'bollinger' | 'anomaly'>> & {
  bollinger?: Partial<AnalyticsConfig['bollinger']>;
  anomaly?: Partial<AnalyticsConfig['anomaly']>;
};

const invalid = (msg: string): TickstreamError => new TickstreamError('CONFIG_INVALID', `analytics: ${msg}`);

const posInt = (name: string, v: number): void => {
  if (!Number.isSafeInteger(v) || v <= 0) throw invalid(`${name} must be a positive integer, got ${v}`);
};
const posNum = (name: string, v: number): void => {
  if (!Number.isFinite(v) || v <= 0) throw invalid(`${name} must be a positive finite number, got ${v}`);
};

/** Fills defaults in and validates; throws TickstreamError(CONFIG_INVALID). */
export const resolveAnalyticsConfig = (input: AnalyticsConfigInput = {}): AnalyticsConfig => {
  const d = DEFAULT_ANALYTICS_CONFIG;
  const c: AnalyticsConfig = {
    intervalsMs: [...(input.intervalsMs ?? d.intervalsMs)],
    smaPeriods: [...(input.smaPeriods ?? d.smaPeriods)],
    emaPeriods: [...(input.emaPeriods ?? d.emaPeriods)],
    rsiPeriod: input.rsiPeriod ?? d.rsiPeriod,
    bollinger: { ...d.bollinger, ...input.bollinger },
    movePct: input.movePct ?? d.movePct,
    moveWindowMs: input.moveWindowMs ?? d.moveWindowMs,
    hysteresisPct: input.hysteresisPct ?? d.hysteresisPct,
    anomaly: { ...d.anomaly, ...input.anomaly },
    openBucketsPerSeries: input.openBucketsPerSeries ?? d.openBucketsPerSeries,
    provisionalEveryMs: input.provisionalEveryMs ?? d.provisionalEveryMs,
  };
  if (c.intervalsMs.length === 0) throw invalid('intervalsMs must not be empty');
  for (const v of c.intervalsMs) posInt('intervalsMs[]', v);
  if (new Set(c.intervalsMs).size !== c.intervalsMs.length) throw invalid('intervalsMs has duplicates');
  for (const v of c.smaPeriods) posInt('smaPeriods[]', v);
  for (const v of c.emaPeriods) posInt('emaPeriods[]', v);
  if (c.smaPeriods.length > 16 || c.emaPeriods.length > 16)
    throw invalid('at most 16 SMA and 16 EMA periods');
  posInt('rsiPeriod', c.rsiPeriod);
  posInt('bollinger.period', c.bollinger.period);
  posNum('bollinger.k', c.bollinger.k);
  posNum('movePct', c.movePct);
  posInt('moveWindowMs', c.moveWindowMs);
  if (!Number.isFinite(c.hysteresisPct) || c.hysteresisPct < 0 || c.hysteresisPct >= 100) {
    throw invalid(`hysteresisPct must be in [0, 100), got ${c.hysteresisPct}`);
  }
  posInt('anomaly.window', c.anomaly.window);
  if (c.anomaly.window < 2) throw invalid('anomaly.window must be at least 2');
  posNum('anomaly.z', c.anomaly.z);
  if (input.anomaly?.intervalMs === undefined && !c.intervalsMs.includes(c.anomaly.intervalMs)) {
    // default 1 min not configured: score the largest interval up to 1 min, else the smallest
    const sorted = [...c.intervalsMs].sort((a, b) => a - b);
    c.anomaly.intervalMs = sorted.filter((v) => v <= d.anomaly.intervalMs).pop() ?? sorted[0]!;
  }
  if (!c.intervalsMs.includes(c.anomaly.intervalMs)) {
    throw invalid(`anomaly.intervalMs ${c.anomaly.intervalMs} is not one of intervalsMs`);
  }
  posInt('openBucketsPerSeries', c.openBucketsPerSeries);
  if (!Number.isSafeInteger(c.provisionalEveryMs) || c.provisionalEveryMs < 0) {
    throw invalid(`provisionalEveryMs must be an integer ≥ 0, got ${c.provisionalEveryMs}`);
  }
  return c;
};
