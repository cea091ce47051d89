// Bollinger bands: middle = SMA(period), upper/lower = middle ± k × the population standard deviation
// (divide by n, not n − 1), which is technicalindicators' convention (its SD divides by period) and
// Bollinger's own.
import type { IncrementalOperator } from './operator.ts';
import { RollingMoments } from './rolling-moments.ts';

export interface Bands {
  upper: number;
  middle: number;
  lower: number;
}

export class Bollinger implements IncrementalOperator<Bands> {
  readonly k: number;
  readonly moments: RollingMoments;

  constructor(period = 20, k = 2) {
    if (!Number.isFinite(k) || k <= 0) throw new RangeError(`Bollinger k ${k}`);
    this.k = k;
    this.moments = new RollingMoments(period);
  }

  get period(): number {
    return this.moments.period;
  }

  get state(): Float64Array {
    return this.moments.state;
  }

  add(x: number): void {
    this.moments.add(x);
  }

  replace(x: number): void {
    this.moments.replace(x);
  }

  get value(): Bands | undefined {
    const m = this.moments;
    if (!m.full) return undefined;
    const middle = m.mean;
    const w = this.k * Math.sqrt(m.variance);
    return { upper: middle + w, middle, lower: middle - w };
  }

  /** The bands as if xs[0..n) were added now, without changing anything (forming bars). */
  valueAfter(xs: ArrayLike<number>, n: number): Bands | undefined {
    const m = this.moments.momentsAfter(xs, n);
    if (m === undefined) return undefined;
    const w = this.k * Math.sqrt(m.variance);
    return { upper: m.mean + w, middle: m.mean, lower: m.mean - w };
  }

  snapshot(): Float64Array {
    return this.moments.snapshot();
  }

  restore(state: Float64Array): void {
    this.moments.restore(state);
  }
}
