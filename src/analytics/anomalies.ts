// Volume and return anomalies per symbol: when a bar of the configured interval becomes final, its
// volume and its return (close / previous final close − 1) are scored against the previous `window`
// final bars: z = (x − mean) / σ (population σ). |z| ≥ threshold raises an alert; then the bar joins
// the window. No score until the window is full, nor when σ is negligible against the mean (a flat
// history would make any change infinitely anomalous). Each bar is scored once, so no hysteresis.
import type { Alert, AlertKind, Candle, EventTimeMs } from '../domain/types.ts';
import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts';
import { RollingMoments } from './indicators/rolling-moments.ts';

export interface AnomalyParams {
  intervalMs: number;
  window: number;
  z: number;
}

export class AnomalyDetector {
  readonly symbols: readonly string[];
  readonly intervalMs: number;
  private readonly z: number;
  private readonly volume: RollingMoments[] = [];
  private readonly returns: RollingMoments[] = [];
  private readonly lastClose: Float64Array;

  constructor(symbols: readonly string[], p: AnomalyParams) {
    this.symbols = symbols;
    this.intervalMs = p.intervalMs;
    this.z = p.z;
    for (let i = 0; i < symbols.length; i++) {
      this.volume.push(new RollingMoments(p.window));
      this.returns.push(new RollingMoments(p.window));
    }
    this.lastClose = new Float64Array(symbols.length).fill(Number.NaN);
  }

  /** Scores a final bar of `intervalMs` for symbol index s. */
  onBar(s: number, c: Candle, out: Alert[]): void {
    this.onBarValues(s, c.start, c.volume, c.close, out);
  }

  /** `onBar` from the numbers it uses: the bar's start, volume and close. */
  onBarValues(s: number, start: number, volume: number, close: number, out: Alert[]): void {
    this.score(s, start, 'volume_zscore', this.volume[s]!, volume, out);
    const prev = this.lastClose[s]!;
    this.lastClose[s] = close;
    if (!Number.isNaN(prev)) this.score(s, start, 'return_zscore', this.returns[s]!, close / prev - 1, out);
  }

  private score(s: number, start: number, kind: AlertKind, m: RollingMoments, x: number, out: Alert[]): void {
    if (m.full) {
      const mean = m.mean;
      const sd = Math.sqrt(m.variance);
      if (sd > 1e-9 * Math.abs(mean) && sd > 1e-12) {
        const z = (x - mean) / sd;
        if (Math.abs(z) >= this.z) {
          const symbol = this.symbols[s]!;
          out.push({
            symbol,
            time: start as EventTimeMs,
            kind,
            value: z,
            threshold: z > 0 ? this.z : -this.z,
            id: `${symbol}|${kind}|${this.intervalMs}|${start}|-`,
            message: `${symbol} ${kind === 'volume_zscore' ? 'volume' : 'return'} z-score ${z.toFixed(2)} on the ${this.intervalMs / 1000} s bar at ${new Date(start).toISOString()} (|z| ≥ ${this.z} over the last ${m.period} bars)`,
          });
        }
      }
    }
    m.add(x);
  }

  /**
   * Writes the state of `symbols` (ascending indexes; every other symbol must never have had a bar):
   * per symbol a flag, then, once it has scored a bar, its last close and both windows.
   */
  write(w: ByteWriter, symbols: Int32Array): void {
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      const v = this.volume[s]!;
      const ret = this.returns[s]!;
      if (Number.isNaN(this.lastClose[s]!) && v.count === 0 && ret.count === 0) {
        w.u8(0);
        continue;
      }
      w.u8(1);
      w.f64(this.lastClose[s]!);
      w.f64Run(v.state, 0, v.state.length);
      w.f64Run(ret.state, 0, ret.state.length);
    }
  }

  /** Reads what `write` wrote for the same `symbols` into a detector in its initial state. */
  read(r: ByteReader, symbols: Int32Array): void {
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      const has = r.u8();
      if (has > 1) throw corrupt(`bad anomaly flag ${has}`);
      if (has === 0) continue;
      this.lastClose[s] = r.f64();
      const v = this.volume[s]!;
      const ret = this.returns[s]!;
      r.f64sInto(v.state, 0, v.state.length);
      r.f64sInto(ret.state, 0, ret.state.length);
    }
  }
}
