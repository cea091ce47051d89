// Rolling max and min over a sliding event-time window for every symbol, O(1) amortised per push: per
// symbol two monotonic deques (max, min), each a power-of-two ring of (time, value) pairs. All rings live
// in one Float64Array pool and their bookkeeping in one Int32Array, so a trade touches a few cache lines
// instead of chasing object → typed array → backing store pointers per deque. A ring that fills moves to
// a twice larger region at the end of the pool; the pool is compacted when it has to grow.

// meta per symbol: for the max deque then the min deque, [offset (entries), capacity, head, length]
const OFF = 0;
const CAP = 1;
const HEAD = 2;
const LEN = 3;
const MIN = 4; // the min deque's fields start here
const M = 8;

export class WindowExtremes {
  readonly size: number;
  private readonly meta: Int32Array;
  /** (time, value) pairs: entry e at [2e, 2e + 1]. */
  private pool: Float64Array;
  /** Entries handed out from the pool (live or abandoned). */
  private used = 0;

  constructor(symbols: number, initialCapacity = 8) {
    this.size = symbols;
    let cap = 2;
    while (cap < initialCapacity) cap *= 2;
    this.meta = new Int32Array(symbols * M);
    this.pool = new Float64Array(symbols * 2 * cap * 2);
    for (let s = 0; s < symbols; s++) {
      for (const q of [0, MIN]) {
        const m = s * M + q;
        this.meta[m + OFF] = this.used;
        this.meta[m + CAP] = cap;
        this.used += cap;
      }
    }
  }

  /** The window's maximum for symbol s; NaN when empty. */
  max(s: number): number {
    return this.front(s * M);
  }

  /** The window's minimum for symbol s; NaN when empty. */
  min(s: number): number {
    return this.front(s * M + MIN);
  }

  /**
   * Adds (time, v) to both deques of symbol s and drops what is older than `from`. Times must not
   * decrease from one push to the next (callers clamp late ones).
   */
  push(s: number, time: number, v: number, from: number): void {
    this.pushOne(s * M, true, time, v, from);
    this.pushOne(s * M + MIN, false, time, v, from);
  }

  private front(m: number): number {
    const meta = this.meta;
    return meta[m + LEN] === 0 ? Number.NaN : this.pool[2 * (meta[m + OFF]! + meta[m + HEAD]!) + 1]!;
  }

  private pushOne(m: number, isMax: boolean, time: number, v: number, from: number): void {
    const meta = this.meta;
    let len = meta[m + LEN]!;
    if (len === meta[m + CAP]) {
      this.grow(m);
    }
    const pool = this.pool;
    const off = meta[m + OFF]!;
    const mask = meta[m + CAP]! - 1;
    let head = meta[m + HEAD]!;
    // Drop from the back every value the new one dominates (ties too: the newer lives longer).
    while (len > 0) {
      const back = pool[2 * (off + ((head + len - 1) & mask)) + 1]!;
      if (isMax ? back <= v : back >= v) len--;
      else break;
    }
    const at = 2 * (off + ((head + len) & mask));
    pool[at] = time;
    pool[at + 1] = v;
    len++;
    // then evict from the front what left the window (never the value just pushed: time ≥ from)
    while (len > 0 && pool[2 * (off + head)]! < from) {
      head = (head + 1) & mask;
      len--;
    }
    meta[m + HEAD] = head;
    meta[m + LEN] = len;
  }

  /** Moves deque `m` to a region twice its size at the end of the pool, unrolled to head = 0. */
  private grow(m: number): void {
    const meta = this.meta;
    const cap = meta[m + CAP]!;
    const next = cap * 2;
    if (2 * (this.used + next) > this.pool.length) this.compact(next);
    const pool = this.pool;
    const off = meta[m + OFF]!;
    const head = meta[m + HEAD]!;
    const len = meta[m + LEN]!;
    const to = this.used;
    for (let i = 0; i < len; i++) {
      const from = 2 * (off + ((head + i) & (cap - 1)));
      pool[2 * (to + i)] = pool[from]!;
      pool[2 * (to + i) + 1] = pool[from + 1]!;
    }
    meta[m + OFF] = to;
    meta[m + CAP] = next;
    meta[m + HEAD] = 0;
    this.used += next;
  }

  /** Copies every live region into a new pool with room for `extra` more entries (and as much again). */
  private compact(extra: number): void {
    const meta = this.meta;
    let live = 0;
    for (let m = 0; m < meta.length; m += MIN) live += meta[m + CAP]!;
    const old = this.pool;
    const pool = new Float64Array(2 * 2 * (live + extra));
    let to = 0;
    for (let m = 0; m < meta.length; m += MIN) {
      const off = meta[m + OFF]!;
      const cap = meta[m + CAP]!;
      pool.set(old.subarray(2 * off, 2 * (off + cap)), 2 * to);
      meta[m + OFF] = to;
      to += cap;
    }
    this.pool = pool;
    this.used = to;
  }

  /** Deque q (0..2·size: every max deque, then every min deque) front to back as [t0, v0, t1, v1, ...]. */
  toArray(q: number): Float64Array {
    const m = this.metaOf(q);
    const meta = this.meta;
    const len = meta[m + LEN]!;
    const off = meta[m + OFF]!;
    const mask = meta[m + CAP]! - 1;
    const head = meta[m + HEAD]!;
    const out = new Float64Array(len * 2);
    for (let i = 0; i < len; i++) {
      const at = 2 * (off + ((head + i) & mask));
      out[2 * i] = this.pool[at]!;
      out[2 * i + 1] = this.pool[at + 1]!;
    }
    return out;
  }

  /** Replaces deque q's contents with what toArray produced. */
  load(q: number, a: Float64Array): void {
    const m = this.metaOf(q);
    const meta = this.meta;
    const n = a.length >> 1;
    meta[m + HEAD] = 0;
    meta[m + LEN] = 0;
    while (meta[m + CAP]! < n) this.grow(m);
    const off = meta[m + OFF]!;
    this.pool.set(a.subarray(0, 2 * n), 2 * off);
    meta[m + LEN] = n;
  }

  private metaOf(q: number): number {
    if (!Number.isInteger(q) || q < 0 || q >= 2 * this.size) throw new RangeError(`deque ${q} out of range`);
    return q < this.size ? q * M : (q - this.size) * M + MIN;
  }
}
