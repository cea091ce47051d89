// Relative strength index with Wilder smoothing, as technicalindicators computes it: the first average
// gain/loss is the plain mean of the first `period` changes (so the first value needs period + 1
// inputs), then avg = (avg * (period - 1) + x) / period. RSI is 100 when the average loss is 0 (even if
// the gain is 0 too) and 0 when only the average gain is 0. Unlike that library we do not round to
// two decimals: rounding belongs to presentation.
import { checkStateLength, type IncrementalOperator } from './operator.ts';

// state layout (6 live fields, then the same 6 as they were before the latest add, for `replace`):
// [values, last, gainSum, lossSum, avgGain, avgLoss]
const LIVE = 6;

const rsiOf = (avgGain: number, avgLoss: number): number => {
  if (avgLoss === 0) return 100;
  if (avgGain === 0) return 0;
  return 100 - 100 / (1 + avgGain / avgLoss);
};
const N = LIVE * 2;

export class Rsi implements IncrementalOperator<number> {
  readonly period: number;
  readonly state = new Float64Array(N);

  constructor(period = 14) {
    if (!Number.isSafeInteger(period) || period < 1) throw new RangeError(`Rsi period ${period}`);
    this.period = period;
  }

  add(x: number): void {
    const s = this.state;
    // by hand: copyWithin is a builtin call, costly next to six moves (this runs once per final bar)
    for (let i = 0; i < LIVE; i++) s[LIVE + i] = s[i]!;
    this.apply(x);
  }

  private apply(x: number): void {
    const s = this.state;
    const values = s[0]! + 1;
    s[0] = values;
    if (values === 1) {
      s[1] = x;
      return;
    }
    const change = x - s[1]!;
    s[1] = x;
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    const changes = values - 1;
    const p = this.period;
    if (changes <= p) {
      s[2] = s[2]! + gain;
      s[3] = s[3]! + loss;
      if (changes === p) {
        s[4] = s[2]! / p;
        s[5] = s[3]! / p;
      }
    } else {
      s[4] = (s[4]! * (p - 1) + gain) / p;
      s[5] = (s[5]! * (p - 1) + loss) / p;
    }
  }

  replace(x: number): void {
    if (this.state[0] === 0) {
      this.add(x);
      return;
    }
    const s = this.state;
    for (let i = 0; i < LIVE; i++) s[i] = s[LIVE + i]!;
    this.apply(x);
  }

  get value(): number | undefined {
    const s = this.state;
    return s[0]! - 1 < this.period ? undefined : rsiOf(s[4]!, s[5]!);
  }

  /** The value as if xs[0..n) were added now, without changing anything (forming bars). O(n). */
  valueAfter(xs: ArrayLike<number>, n: number): number | undefined {
    const s = this.state;
    const p = this.period;
    let values = s[0]!;
    let last = s[1]!;
    let gainSum = s[2]!;
    let lossSum = s[3]!;
    let avgGain = s[4]!;
    let avgLoss = s[5]!;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      values++;
      if (values === 1) {
        last = x;
        continue;
      }
      const change = x - last;
      last = x;
      const gain = Math.max(change, 0);
      const loss = change < 0 ? -change : 0;
      const changes = values - 1;
      if (changes <= p) {
        gainSum += gain;
        lossSum += loss;
        if (changes === p) {
          avgGain = gainSum / p;
          avgLoss = lossSum / p;
        }
      } else {
        avgGain = (avgGain * (p - 1) + gain) / p;
        avgLoss = (avgLoss * (p - 1) + loss) / p;
      }
    }
    return values - 1 < p ? undefined : rsiOf(avgGain, avgLoss);
  }

  snapshot(): Float64Array {
    return this.state.slice();
  }

  restore(state: Float64Array): void {
    checkStateLength('Rsi', state.length, N);
    this.state.set(state);
  }
}
