// UserSums: a compact user → running sum map (open addressing over typed arrays), ~24 B per user at
// worst load instead of the ~80 B of a Map entry. Used per firm bucket, where a minute can see a million
// distinct traders.
import { mix1 } from './hash.ts';

export class UserSums {
  private keys: Int32Array; // user + 1; 0 = empty
  private vals: Float64Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 64) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.keys = new Int32Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds v to user's sum and returns the new sum. user: 0 .. 2^31-2. */
  add(user: number, v: number): number {
    const k = user + 1;
    let i = mix1(user) & this.mask;
    for (;;) {
      const e = this.keys[i]!;
      if (e === k) {
        const sum = this.vals[i]! + v;
        this.vals[i] = sum;
        return sum;
      }
      if (e === 0) break;
      i = (i + 1) & this.mask;
    }
    this.keys[i] = k;
    this.vals[i] = v;
    if (++this.count * 2 > this.keys.length) this.grow();
    return v;
  }

  get(user: number): number {
    const k = user + 1;
    let i = mix1(user) & this.mask;
    for (;;) {
      const e = this.keys[i]!;
      if (e === k) return this.vals[i]!;
      if (e === 0) return 0;
      i = (i + 1) & this.mask;
    }
  }

  forEach(cb: (user: number, sum: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0) cb(this.keys[i]! - 1, this.vals[i]!);
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Int32Array(keys.length * 2);
    this.vals = new Float64Array(keys.length * 2);
    this.mask = keys.length * 2 - 1;
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      if (k === 0) continue;
      let i = mix1(k - 1) & this.mask;
      while (this.keys[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.vals[i] = vals[j]!;
    }
  }
}
