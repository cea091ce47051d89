// Duplicate detection for records identified by (key index, sequence number), e.g. (symbol, seq) of a
// trade: per key the seqs applied so far as disjoint ranges [lo, hi], each with the newest event time
// among its records. Sources number each key's records in order, so nearly every record extends its
// key's newest range by one: O(1), no allocation, and the state (and its checkpoint) is a few ranges per
// key instead of one entry per record in the lateness horizon — at 500k records/s a set of ids held
// ~1M entries and its checkpoint cost more than the analytics.
//
// A range whose newest time is below the watermark is forgotten (`expire`): every record in it is
// older than the watermark, so a copy of it is rejected as late before anyone asks. Sparse or shuffled
// seqs still work (more ranges; those older than the newest are searched by binary search), and the
// number of ranges is capped so a flood of one-record ranges cannot grow without limit.
import { TickstreamError } from '../domain/errors.ts';

const NONE = Number.NaN;

/** Ranges below a key's newest one, ascending and disjoint: [lo0, hi0, t0, lo1, hi1, t1, ...]. */
type Older = number[];

export class SeqRanges {
  readonly keys: number;
  private readonly cap: number;
  // the newest range of each key (the one sequences usually extend; above all its older ranges);
  // lo = NaN: none, and then no older ones either
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly t: Float64Array;
  private readonly older = new Map<number, Older>();
  private olderCount = 0;

  constructor(keys: number, cap = 1_000_000) {
    this.keys = keys;
    this.cap = cap;
    this.lo = new Float64Array(keys).fill(NONE);
    this.hi = new Float64Array(keys).fill(NONE);
    this.t = new Float64Array(keys).fill(NONE);
  }

  /** Ranges held (newest ranges and older ones): what the state and its checkpoint grow with. */
  get ranges(): number {
    let n = this.olderCount;
    for (let k = 0; k < this.keys; k++) if (!Number.isNaN(this.lo[k]!)) n++;
    return n;
  }

  has(k: number, seq: number): boolean {
    const lo = this.lo[k]!;
    if (!(seq < lo)) return seq <= this.hi[k]!; // NaN lo: false, as seq <= NaN is
    const list = this.older.get(k);
    return list !== undefined && SeqRanges.find(list, seq) >= 0;
  }

  /** Records seq of key k at event time `time`; seq must not be `has` already. */
  add(k: number, seq: number, time: number): void {
    const lo = this.lo[k]!;
    const hi = this.hi[k]!;
    if (seq === hi + 1) {
      this.hi[k] = seq;
      if (time > this.t[k]!) this.t[k] = time;
      return;
    }
    if (Number.isNaN(lo)) {
      this.setNewest(k, seq, seq, time);
      return;
    }
    if (seq > hi) {
      // a gap: the newest range becomes an older one
      this.pushOlder(k, lo, hi, this.t[k]!);
      this.setNewest(k, seq, seq, time);
      return;
    }
    if (seq === lo - 1) {
      this.lo[k] = seq;
      if (time > this.t[k]!) this.t[k] = time;
      this.mergeNewestDown(k);
      return;
    }
    this.addOlder(k, seq, time);
  }

  /** Forgets every range whose newest event time is below `watermark`. */
  expire(watermark: number): void {
    const t = this.t;
    for (let k = 0; k < this.keys; k++) {
      if (t[k]! < watermark) {
        this.lo[k] = NONE;
        this.hi[k] = NONE;
        t[k] = NONE;
      }
    }
    for (const [k, list] of this.older) {
      let w = 0;
      for (let r = 0; r < list.length; r += 3) {
        if (list[r + 2]! < watermark) continue;
        list[w] = list[r]!;
        list[w + 1] = list[r + 1]!;
        list[w + 2] = list[r + 2]!;
        w += 3;
      }
      this.olderCount -= (list.length - w) / 3;
      list.length = w;
      // the invariant `add` relies on: a key without a newest range has no older ones either
      if (w > 0 && Number.isNaN(this.lo[k]!)) {
        this.setNewest(k, list[w - 3]!, list[w - 2]!, list[w - 1]!);
        list.length = w - 3;
        this.olderCount--;
      }
      if (list.length === 0) this.older.delete(k);
    }
  }

  /**
   * The state as bytes: per key with ranges, its index, its range count and (lo, hi, time) per range in
   * ascending order, all float64 (seqs are safe integers).
   */
  snapshot(): Uint8Array {
    const out: number[] = [];
    for (let k = 0; k < this.keys; k++) {
      const list = this.older.get(k);
      const newest = Number.isNaN(this.lo[k]!) ? 0 : 1;
      const n = (list === undefined ? 0 : list.length / 3) + newest;
      if (n === 0) continue;
      out.push(k, n);
      if (list !== undefined) for (const x of list) out.push(x);
      if (newest === 1) out.push(this.lo[k]!, this.hi[k]!, this.t[k]!);
    }
    return new Uint8Array(Float64Array.from(out).buffer);
  }

  static restore(bytes: Uint8Array, keys: number, cap?: number): SeqRanges {
    const bad = (why: string): TickstreamError =>
      new TickstreamError('CHECKPOINT_CORRUPT', `duplicate-detection state: ${why}`);
    if (bytes.length % 8 !== 0) throw bad('length is not a multiple of 8');
    const copy = new Uint8Array(bytes); // aligned
    const f = new Float64Array(copy.buffer, 0, copy.length / 8);
    const r = new SeqRanges(keys, cap);
    let p = 0;
    let prevKey = -1;
    while (p < f.length) {
      const k = f[p]!;
      const n = f[p + 1]!;
      if (!Number.isInteger(k) || k <= prevKey || k >= keys) throw bad(`key ${k} out of order or range`);
      if (!Number.isInteger(n) || n < 1 || p + 2 + 3 * n > f.length) throw bad(`bad range count ${n}`);
      prevKey = k;
      p += 2;
      let prevHi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++, p += 3) {
        const lo = f[p]!;
        const hi = f[p + 1]!;
        const t = f[p + 2]!;
        if (
          !Number.isSafeInteger(lo) ||
          !Number.isSafeInteger(hi) ||
          lo > hi ||
          lo <= prevHi + 1 ||
          Number.isNaN(t)
        )
          throw bad(`bad range [${lo}, ${hi}] of key ${k}`);
        prevHi = hi;
        if (i === n - 1) r.setNewest(k, lo, hi, t);
        else r.pushOlder(k, lo, hi, t);
      }
    }
    return r;
  }

  private setNewest(k: number, lo: number, hi: number, t: number): void {
    this.lo[k] = lo;
    this.hi[k] = hi;
    this.t[k] = t;
  }

  /** Appends a range above every older range of k. */
  private pushOlder(k: number, lo: number, hi: number, t: number): void {
    let list = this.older.get(k);
    if (list === undefined) {
      list = [];
      this.older.set(k, list);
    }
    list.push(lo, hi, t);
    this.olderCount++;
    if (this.olderCount > this.cap) {
      // bounded: forget this key's lowest range (the oldest seqs, most likely expired soonest anyway)
      list.splice(0, 3);
      this.olderCount--;
    }
  }

  /** After the newest range grew downwards: absorbs the older range it now touches, if any. */
  private mergeNewestDown(k: number): void {
    const list = this.older.get(k);
    if (list === undefined || list.length === 0) return;
    const last = list.length - 3;
    if (list[last + 1]! + 1 !== this.lo[k]) return;
    this.lo[k] = list[last]!;
    if (list[last + 2]! > this.t[k]!) this.t[k] = list[last + 2]!;
    list.length = last;
    this.olderCount--;
    if (last === 0) this.older.delete(k);
  }

  /** seq below the newest range's lo − 1 and not held: into the older ranges, merging neighbours. */
  private addOlder(k: number, seq: number, time: number): void {
    let list = this.older.get(k);
    if (list === undefined) {
      list = [];
      this.older.set(k, list);
    }
    // index (in ranges) of the first range with lo > seq
    let a = 0;
    let b = list.length / 3;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (list[3 * m]! > seq) b = m;
      else a = m + 1;
    }
    const below = a - 1; // the range before it, whose hi < seq (seq is not held)
    const joinsBelow = below >= 0 && list[3 * below + 1]! + 1 === seq;
    const joinsAbove = a < list.length / 3 && list[3 * a]! - 1 === seq;
    if (joinsBelow && joinsAbove) {
      list[3 * below + 1] = list[3 * a + 1]!;
      list[3 * below + 2] = Math.max(list[3 * below + 2]!, list[3 * a + 2]!, time);
      list.splice(3 * a, 3);
      this.olderCount--;
    } else if (joinsBelow) {
      list[3 * below + 1] = seq;
      if (time > list[3 * below + 2]!) list[3 * below + 2] = time;
    } else if (joinsAbove) {
      list[3 * a] = seq;
      if (time > list[3 * a + 2]!) list[3 * a + 2] = time;
    } else {
      list.splice(3 * a, 0, seq, seq, time);
      this.olderCount++;
      if (this.olderCount > this.cap) {
        list.splice(0, 3);
        this.olderCount--;
      }
    }
    if (list.length === 0) this.older.delete(k);
  }

  /** Index (in ranges) of the range of `list` holding seq, or −1. */
  private static find(list: Older, seq: number): number {
    let a = 0;
    let b = list.length / 3 - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      if (seq < list[3 * m]!) b = m - 1;
      else if (seq > list[3 * m + 1]!) a = m + 1;
      else return m;
    }
    return -1;
  }
}
