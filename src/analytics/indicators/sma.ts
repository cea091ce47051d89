// Simple moving average over the last `period` values: a ring buffer and a running sum.
// The running sum is recomputed from the ring every time the ring wraps (every `period` adds), which
// bounds float drift to what `period` additions can accumulate and keeps the cost O(1) amortised.
import { checkStateLength, type IncrementalOperator } from './operator.ts';

// state layout: [count, head, sum, ...ring]
const COUNT = 0;
const HEAD = 1;
const SUM = 2;
const RING = 3;

export class Sma implements IncrementalOperator<number> {
  readonly period: number;
  readonly state: Float64Array;

  constructor(period: number) {
    if (!Number.isSafeInteger(period) || period < 1) throw new RangeError(`Sma period ${period}`);
    this.period = period;
    this.state = new Float64Array(RING + period);
  }

  add(x: number): void {
    const s = this.state;
    const p = this.period;
    const head = s[HEAD]!;
    const count = s[COUNT]!;
    const at = RING + head;
    let sum = s[SUM]!;
    if (count >= p) sum -= s[at]!;
    s[at] = x;
    sum += x;
    const next = head + 1 === p ? 0 : head + 1;
    s[HEAD] = next;
    s[COUNT] = count + 1;
    if (next === 0) {
      sum = 0;
      for (let i = RING; i < RING + p; i++) sum += s[i]!;
    }
    s[SUM] = sum;
  }

  replace(x: number): void {
    const s = this.state;
    if (s[COUNT] === 0) {
      this.add(x);
      return;
    }
    const p = this.period;
    const head = s[HEAD]!;
    const at = RING + (head === 0 ? p - 1 : head - 1);
    s[SUM] = s[SUM]! - s[at]! + x;
    s[at] = x;
  }

  get value(): number | undefined {
    return this.state[COUNT]! >= this.period ? this.state[SUM]! / this.period : undefined;
  }

  /** The value as if xs[0..n) were added now, without changing anything (forming bars). O(n). */
  valueAfter(xs: ArrayLike<number>, n: number): number | undefined {
    const s = this.state;
    const p = this.period;
    const count = s[COUNT]!;
    if (count + n < p) return undefined;
    let sum = 0;
    if (n >= p) {
      for (let i = n - p; i < n; i++) sum += xs[i]!;
      return sum / p;
    }
    sum = s[SUM]!;
    const inRing = Math.min(count, p);
    const drop = inRing + n - p;
    for (let j = 0, i = count < p ? 0 : s[HEAD]! | 0; j < drop; j++) {
      sum -= s[RING + i]!;
      if (++i === p) i = 0;
    }
    for (let i = 0; i < n; i++) sum += xs[i]!;
    return sum / p;
  }

  snapshot(): Float64Array {
    return this.state.slice();
  }

  restore(state: Float64Array): void {
    checkStateLength('Sma', state.length, this.state.length);
    this.state.set(state);
  }
}
