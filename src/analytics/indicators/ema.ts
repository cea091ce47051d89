// Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first `period` values:
// the first value appears at the period-th add. This is technicalindicators' convention (EMA.calculate
// seeds with its own SMA) and TA-Lib's default; the update is written as that library writes it,
// prev + (x - prev) * k, so results agree to the last bits.
import { checkStateLength, type IncrementalOperator } from './operator.ts';

// state layout: [count, seedSum, ema, prevCount, prevSeedSum, prevEma]; prev* is the state before the
// latest add, which is what `replace` rolls back to.
const N = 6;

export class Ema implements IncrementalOperator<number> {
  readonly period: number;
  readonly k: number;
  readonly state = new Float64Array(N);

  constructor(period: number) {
    if (!Number.isSafeInteger(period) || period < 1) throw new RangeError(`Ema period ${period}`);
    this.period = period;
    this.k = 2 / (period + 1);
  }

  add(x: number): void {
    const s = this.state;
    s[3] = s[0]!;
    s[4] = s[1]!;
    s[5] = s[2]!;
    this.apply(x);
  }

  private apply(x: number): void {
    const s = this.state;
    const count = s[0]! + 1;
    s[0] = count;
    if (count < this.period) {
      s[1] = s[1]! + x;
    } else if (count === this.period) {
      const sum = s[1]! + x;
      s[1] = sum;
      s[2] = sum / this.period;
    } else {
      const prev = s[2]!;
      s[2] = (x - prev) * this.k + prev;
    }
  }

  replace(x: number): void {
    const s = this.state;
    if (s[0] === 0) {
      this.add(x);
      return;
    }
    s[0] = s[3]!;
    s[1] = s[4]!;
    s[2] = s[5]!;
    this.apply(x);
  }

  get value(): number | undefined {
    return this.state[0]! >= this.period ? this.state[2]! : undefined;
  }

  /** The value as if xs[0..n) were added now, without changing anything (forming bars). O(n). */
  valueAfter(xs: ArrayLike<number>, n: number): number | undefined {
    const p = this.period;
    let count = this.state[0]!;
    let sum = this.state[1]!;
    let ema = this.state[2]!;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      count++;
      if (count < p) sum += x;
      else if (count === p) {
        sum += x;
        ema = sum / p;
      } else ema = (x - ema) * this.k + ema;
    }
    return count >= p ? ema : undefined;
  }

  snapshot(): Float64Array {
    return this.state.slice();
  }

  restore(state: Float64Array): void {
    checkStateLength('Ema', state.length, N);
    this.state.set(state);
  }
}
