// Mean and population variance of the last `period` values, O(1) per add. Sums are kept of the values
// minus a shift (a recent mean), which avoids the catastrophic cancellation of Σx² − (Σx)²/n when the
// values are large and their spread small; whenever the ring wraps the shift is reset to the current
// mean and the sums recomputed exactly, so float drift cannot accumulate (O(1) amortised).
// Two things still cancel: removing a value far from the shift leaves a rounding residue of about
// eps × d² in Σd², and Σd² − (Σd)²/n loses eps × (Σd)²/n when the mean has moved away from the shift.
// The square root magnifies such a residue once the window turns flat, so after each update a bound on
// the resulting error of the standard deviation is checked, and the sums are recomputed whenever it
// exceeds 1e-11 of max(|mean|, σ): results stay within ~1e-10 of the level they are read against.
import { checkStateLength, type IncrementalOperator } from './operator.ts';

// state layout: [count, head, shift, s1, s2, dirt (Σd² removed since the last recompute), ...ring]
const COUNT = 0;
const HEAD = 1;
const SHIFT = 2;
const S1 = 3;
const S2 = 4;
const DIRT = 5;
const RING = 6;
const EPS4 = 4 * Number.EPSILON;
const TOL = 1e-11;

export interface Moments {
  mean: number;
  variance: number;
}

export class RollingMoments implements IncrementalOperator<Moments> {
  readonly period: number;
  readonly state: Float64Array;

  constructor(period: number) {
    if (!Number.isSafeInteger(period) || period < 1) throw new RangeError(`RollingMoments period ${period}`);
    this.period = period;
    this.state = new Float64Array(RING + period);
  }

  /** Number of values added so far (not capped at period). */
  get count(): number {
    return this.state[COUNT]!;
  }

  get full(): boolean {
    return this.state[COUNT]! >= this.period;
  }

  add(x: number): void {
    const s = this.state;
    const p = this.period;
    const count = s[COUNT]!;
    const head = s[HEAD]!;
    const at = RING + head;
    if (count === 0) s[SHIFT] = x;
    const shift = s[SHIFT]!;
    let s1 = s[S1]!;
    let s2 = s[S2]!;
    if (count >= p) {
      const d = s[at]! - shift;
      s1 -= d;
      s2 -= d * d;
      s[DIRT] = s[DIRT]! + d * d;
    }
    s[at] = x;
    const d = x - shift;
    s1 += d;
    s2 += d * d;
    s[S1] = s1;
    s[S2] = s2;
    const next = head + 1 === p ? 0 : head + 1;
    s[HEAD] = next;
    s[COUNT] = count + 1;
    if (next === 0) this.recompute();
    else this.guard();
  }

  replace(x: number): void {
    const s = this.state;
    if (s[COUNT] === 0) {
      this.add(x);
      return;
    }
    const head = s[HEAD]!;
    const at = RING + (head === 0 ? this.period - 1 : head - 1);
    const shift = s[SHIFT]!;
    const d0 = s[at]! - shift;
    const d1 = x - shift;
    s[S1] = s[S1]! - d0 + d1;
    s[S2] = s[S2]! - d0 * d0 + d1 * d1;
    s[DIRT] = s[DIRT]! + d0 * d0;
    s[at] = x;
    this.guard();
  }

  /** Recomputes when the cancellation error bound on σ is no longer negligible (see the header). */
  private guard(): void {
    const s = this.state;
    const n = Math.min(s[COUNT]!, this.period);
    const s1 = s[S1]!;
    const m1 = s1 / n;
    const errVar = (EPS4 * (s[DIRT]! + s1 * m1)) / n;
    if (errVar === 0) return;
    const v = s[S2]! / n - m1 * m1;
    const sd = v > 0 ? Math.sqrt(v) : 0;
    const errSd = v > errVar ? errVar / (2 * sd) : Math.sqrt(errVar);
    const level = Math.max(Math.abs(s[SHIFT]! + m1), sd);
    if (errSd > TOL * level) this.recompute();
  }

  private recompute(): void {
    const s = this.state;
    const n = Math.min(s[COUNT]!, this.period);
    let sum = 0;
    for (let i = RING; i < RING + n; i++) sum += s[i]!;
    const shift = sum / n;
    let s1 = 0;
    let s2 = 0;
    for (let i = RING; i < RING + n; i++) {
      const d = s[i]! - shift;
      s1 += d;
      s2 += d * d;
    }
    s[SHIFT] = shift;
    s[S1] = s1;
    s[S2] = s2;
    s[DIRT] = 0;
  }

  /** Mean of the window (of the values so far while warming up); NaN when empty. */
  get mean(): number {
    const n = Math.min(this.state[COUNT]!, this.period);
    return this.state[SHIFT]! + this.state[S1]! / n;
  }

  /** Population variance (divides by n), never negative; NaN when empty. */
  get variance(): number {
    const n = Math.min(this.state[COUNT]!, this.period);
    const m1 = this.state[S1]! / n;
    const v = this.state[S2]! / n - m1 * m1;
    return v > 0 ? v : n > 0 ? 0 : Number.NaN;
  }

  get value(): Moments | undefined {
    return this.full ? { mean: this.mean, variance: this.variance } : undefined;
  }

  /**
   * Mean and population variance of the window as if xs[0..n) were added now, without changing
   * anything; computed exactly (two passes over the window, O(period + n)), so undefined until full.
   */
  momentsAfter(xs: ArrayLike<number>, n: number): Moments | undefined {
    const s = this.state;
    const p = this.period;
    const count = s[COUNT]!;
    if (count + n < p) return undefined;
    const fromXs = Math.min(n, p);
    const fromRing = p - fromXs;
    // The newest `fromRing` ring values end just before head (at count while warming up). Indexes are
    // kept as small ints and wrapped by hand: `%` on the doubles read from state would be an fmod call.
    const head = count < p ? count | 0 : s[HEAD]! | 0;
    let a = head - fromRing;
    if (a < 0) a += p;
    let sum = 0;
    for (let j = 0, i = a; j < fromRing; j++) {
      sum += s[RING + i]!;
      if (++i === p) i = 0;
    }
    for (let i = n - fromXs; i < n; i++) sum += xs[i]!;
    const mean = sum / p;
    let m2 = 0;
    for (let j = 0, i = a; j < fromRing; j++) {
      const d = s[RING + i]! - mean;
      m2 += d * d;
      if (++i === p) i = 0;
    }
    for (let i = n - fromXs; i < n; i++) {
      const d = xs[i]! - mean;
      m2 += d * d;
    }
    return { mean, variance: m2 / p };
  }

  snapshot(): Float64Array {
    return this.state.slice();
  }

  restore(state: Float64Array): void {
    checkStateLength('RollingMoments', state.length, this.state.length);
    this.state.set(state);
  }
}
