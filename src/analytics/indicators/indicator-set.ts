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

const NONE = new Float64Array(0);

/**
 * A group's value objects ({ period: value } of its warm operators) are clones of templates: numeric keys
 * make V8 store the values as elements, and adding them one by one to `{}` is slow (a runtime call each),
 * while cloning an object that already has the keys and overwriting is fast. One template per set of warm
 * operators (a bit mask), made when first needed and shared by every set with the same periods: while a
 * series warms up, the short periods are warm before the long ones.
 */
class GroupTemplates {
  private readonly periods: readonly number[];
  private readonly byMask: (Record<number, number> | undefined)[] = [];

  constructor(periods: readonly number[]) {
    this.periods = periods;
  }

  /** A fresh object with the keys of the operators in `mask`. */
  clone(mask: number): Record<number, number> {
    let t = this.byMask[mask];
    if (t === undefined) {
      // JSON.parse sizes the elements store to the largest key (grown key by key it over-allocates by
      // half plus 16 slots, and every clone copies that). 0.5, not 0: double elements from the start, so
      // writing values does not change the elements kind.
      const keys = this.periods.filter((_, i) => (mask & (1 << i)) !== 0).map((p) => `"${p}":0.5`);
      t = JSON.parse(`{${keys.join(',')}}`) as Record<number, number>;
      this.byMask[mask] = t;
    }
    return { ...t };
  }
}

/** Warm masks are 31-bit integers (the configuration allows 16 periods per group). */
const MAX_GROUP = 31;
const shared = new Map<string, GroupTemplates>();
const templatesOf = (ops: readonly { period: number }[]): GroupTemplates => {
  if (ops.length > MAX_GROUP)
    throw new RangeError(`at most ${MAX_GROUP} periods per indicator, got ${ops.length}`);
  const periods = ops.map((o) => o.period);
  const key = periods.join(',');
  let t = shared.get(key);
  if (t === undefined) {
    t = new GroupTemplates(periods);
    shared.set(key, t);
  }
  return t;
};

/** One group's values while they are being collected (single-threaded, never re-entered). */
let scratch = new Float64Array(8);

export class IndicatorSet {
  readonly smas: Sma[];
  readonly emas: Ema[];
  readonly rsi: Rsi;
  readonly bollinger: Bollinger;
  /** The operators' state arrays in a fixed order: what copy and snapshot walk. */
  private readonly states: Float64Array[];
  /** Total floats of state, for snapshot sizing. */
  readonly stateLength: number;
  private readonly smaTemplates: GroupTemplates;
  private readonly emaTemplates: GroupTemplates;

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
    this.smaTemplates = templatesOf(this.smas);
    this.emaTemplates = templatesOf(this.emas);
    const longest = Math.max(this.smas.length, this.emas.length);
    if (scratch.length < longest) scratch = new Float64Array(longest);
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
    return this.valuesAfter(NONE, 0);
  }

  /**
   * The values as if xs[0..n) were added now (a forming bar: replace semantics), without changing any
   * state: what a provisional candle carries.
   */
  valuesAfter(xs: ArrayLike<number>, n: number): IndicatorValues {
    const sma = this.group(this.smas, this.smaTemplates, xs, n);
    const ema = this.group(this.emas, this.emaTemplates, xs, n);
    const rsi = n === 0 ? this.rsi.value : this.rsi.valueAfter(xs, n);
    const bollinger = n === 0 ? this.bollinger.value : this.bollinger.valueAfter(xs, n);
    if (sma !== undefined && ema !== undefined && rsi !== undefined && bollinger !== undefined) {
      return { sma, ema, rsi, bollinger }; // the warm case: one object shape
    }
    const out: IndicatorValues = {};
    if (sma !== undefined) out.sma = sma;
    if (ema !== undefined) out.ema = ema;
    if (rsi !== undefined) out.rsi = rsi;
    if (bollinger !== undefined) out.bollinger = bollinger;
    return out;
  }

  /** { period: value } for the operators that are warm, undefined if none is. */
  private group(
    ops: readonly (Sma | Ema)[],
    templates: GroupTemplates,
    xs: ArrayLike<number>,
    n: number,
  ): Record<number, number> | undefined {
    let mask = 0;
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      const v = n === 0 ? o.value : o.valueAfter(xs, n);
      if (v === undefined) continue;
      scratch[i] = v;
      mask |= 1 << i;
    }
    return mask === 0 ? undefined : objectOf(ops, templates, mask, scratch, 0, 1);
  }

  /**
   * Floats `writeRaw` fills: per SMA and EMA a warm flag and a value, then RSI's, then Bollinger's flag
   * and its upper, middle and lower band.
   */
  get rawLength(): number {
    return 2 * (this.smas.length + this.emas.length + 1) + 4;
  }

  /**
   * Writes the current values as plain numbers at `into[offset..offset + rawLength)`, so a final bar can
   * be logged now and turned into the object `values()` returns later (`valuesFromRaw`), off the hot path.
   */
  writeRaw(into: Float64Array, offset: number): void {
    let p = offset;
    for (let i = 0; i < this.smas.length; i++) {
      const v = this.smas[i]!.value;
      into[p++] = v === undefined ? 0 : 1;
      into[p++] = v ?? 0;
    }
    for (let i = 0; i < this.emas.length; i++) {
      const v = this.emas[i]!.value;
      into[p++] = v === undefined ? 0 : 1;
      into[p++] = v ?? 0;
    }
    const r = this.rsi.value;
    into[p++] = r === undefined ? 0 : 1;
    into[p++] = r ?? 0;
    const m = this.bollinger.moments;
    if (m.full) {
      // the same expressions as Bollinger.value, so the bands are bit-identical
      const middle = m.mean;
      const w = this.bollinger.k * Math.sqrt(m.variance);
      into[p++] = 1;
      into[p++] = middle + w;
      into[p++] = middle;
      into[p] = middle - w;
    } else {
      into[p] = 0;
    }
  }

  /** The object `values()` returned when `writeRaw` wrote `from[offset..)`: same keys, same numbers. */
  valuesFromRaw(from: Float64Array, offset: number): IndicatorValues {
    let p = offset;
    const sma = this.rawGroup(this.smas, this.smaTemplates, from, p);
    p += 2 * this.smas.length;
    const ema = this.rawGroup(this.emas, this.emaTemplates, from, p);
    p += 2 * this.emas.length;
    const rsi = from[p] === 1 ? from[p + 1]! : undefined;
    p += 2;
    const bollinger =
      from[p] === 1 ? { upper: from[p + 1]!, middle: from[p + 2]!, lower: from[p + 3]! } : undefined;
    if (sma !== undefined && ema !== undefined && rsi !== undefined && bollinger !== undefined) {
      return { sma, ema, rsi, bollinger };
    }
    const out: IndicatorValues = {};
    if (sma !== undefined) out.sma = sma;
    if (ema !== undefined) out.ema = ema;
    if (rsi !== undefined) out.rsi = rsi;
    if (bollinger !== undefined) out.bollinger = bollinger;
    return out;
  }

  private rawGroup(
    ops: readonly (Sma | Ema)[],
    templates: GroupTemplates,
    from: Float64Array,
    offset: number,
  ): Record<number, number> | undefined {
    let mask = 0;
    for (let i = 0; i < ops.length; i++) if (from[offset + 2 * i] === 1) mask |= 1 << i;
    return mask === 0 ? undefined : objectOf(ops, templates, mask, from, offset + 1, 2);
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

/** { period: values[at + i·stride] } for the operators i in `mask`. */
const objectOf = (
  ops: readonly { period: number }[],
  templates: GroupTemplates,
  mask: number,
  values: ArrayLike<number>,
  at: number,
  stride: number,
): Record<number, number> => {
  const out = templates.clone(mask);
  for (let i = 0; i < ops.length; i++) {
    if ((mask & (1 << i)) !== 0) out[ops[i]!.period] = values[at + i * stride]!;
  }
  return out;
};
