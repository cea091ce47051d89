// The indicators of one (symbol, interval) series, fed the closes of its final bars. Every operator
// keeps its state in a Float64Array, so a set is copied (for "as if this bar closed now" values of a
// forming bar) and snapshotted with plain typed-array copies.
import type { IndicatorValues } from '../../domain/types.ts';
import { Bollinger } from './bollinger.ts';
import { Ema } from './ema.ts';
import { Rsi } from './rsi.ts';
import { Sma } from './sma.ts';

export interface IndicatorParams {
  smaPeriods: readonly number[];
  emaPeriods: readonly number[];
  rsiPeriod: number;
  bollinger: { period: number; k: number };
}

export class IndicatorSet {
  readonly smas: Sma[];
  readonly emas: Ema[];
  readonly rsi: Rsi;
  readonly bollinger: Bollinger;
  /** The operators' state arrays in a fixed order: what copy and snapshot walk. */
  private readonly states: Float64Array[];
  /** Total floats of state, for snapshot sizing. */
  readonly stateLength: number;

  constructor(p: IndicatorParams) {
    this.smas = p.smaPeriods.map((n) => new Sma(n));
    this.emas = p.emaPeriods.map((n) => new Ema(n));
    this.rsi = new Rsi(p.rsiPeriod);
    this.bollinger = new Bollinger(p.bollinger.period, p.bollinger.k);
    this.states = [
      ...this.smas.map((o) => o.state),
      ...this.emas.map((o) => o.state),
      this.rsi.state,
      this.bollinger.state,
    ];
    this.stateLength = this.states.reduce((n, s) => n + s.length, 0);
  }

  add(x: number): void {
    for (const o of this.smas) o.add(x);
    for (const o of this.emas) o.add(x);
    this.rsi.add(x);
    this.bollinger.add(x);
  }

  replace(x: number): void {
    for (const o of this.smas) o.replace(x);
    for (const o of this.emas) o.replace(x);
    this.rsi.replace(x);
    this.bollinger.replace(x);
  }

  /** Makes this set's state equal to `other`'s (same parameters). */
  copyFrom(other: IndicatorSet): void {
    const a = this.states;
    const b = other.states;
    for (let i = 0; i < a.length; i++) a[i]!.set(b[i]!);
  }

  /** Current values; an indicator still warming up is left out (and an empty group too). */
  values(): IndicatorValues {
    const out: IndicatorValues = {};
    let sma: Record<number, number> | undefined;
    for (const o of this.smas) {
      const v = o.value;
      if (v === undefined) continue;
      sma ??= {};
      sma[o.period] = v;
    }
    if (sma !== undefined) out.sma = sma;
    let ema: Record<number, number> | undefined;
    for (const o of this.emas) {
      const v = o.value;
      if (v === undefined) continue;
      ema ??= {};
      ema[o.period] = v;
    }
    if (ema !== undefined) out.ema = ema;
    const rsi = this.rsi.value;
    if (rsi !== undefined) out.rsi = rsi;
    const b = this.bollinger.value;
    if (b !== undefined) out.bollinger = b;
    return out;
  }

  /** Writes the whole state into `into` at `offset` (stateLength floats). */
  writeState(into: Float64Array, offset: number): void {
    let p = offset;
    for (const s of this.states) {
      into.set(s, p);
      p += s.length;
    }
  }

  readState(from: Float64Array, offset: number): void {
    let p = offset;
    for (const s of this.states) {
      s.set(from.subarray(p, p + s.length));
      p += s.length;
    }
  }
}
