// Running maximum (or minimum) over a sliding event-time window, O(1) amortised per push: the deque
// keeps only values that can still become the extreme, in a growable power-of-two ring of typed arrays.

export class MonotonicDeque {
  /** true: front is the window maximum; false: the minimum. */
  readonly isMax: boolean;
  private times: Float64Array;
  private vals: Float64Array;
  private mask: number;
  private head = 0;
  private len = 0;

  constructor(isMax: boolean, capacity = 8) {
    this.isMax = isMax;
    let cap = 2;
    while (cap < capacity) cap *= 2;
    this.times = new Float64Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.len;
  }

  /** The window's extreme; NaN when empty. */
  get front(): number {
    return this.len === 0 ? Number.NaN : this.vals[this.head]!;
  }

  /** Times must not decrease from one push to the next (callers clamp late ones). */
  push(time: number, v: number): void {
    const vals = this.vals;
    const mask = this.mask;
    // Drop from the back every value the new one dominates (ties too: the newer lives longer).
    while (this.len > 0) {
      const back = vals[(this.head + this.len - 1) & mask]!;
      if (this.isMax ? back <= v : back >= v) this.len--;
      else break;
    }
    if (this.len === vals.length) this.grow();
    const at = (this.head + this.len) & this.mask;
    this.times[at] = time;
    this.vals[at] = v;
    this.len++;
  }

  /** Drops entries with time < t from the front. */
  evictBefore(t: number): void {
    while (this.len > 0 && this.times[this.head]! < t) {
      this.head = (this.head + 1) & this.mask;
      this.len--;
    }
  }

  private grow(): void {
    const cap = this.vals.length * 2;
    const times = new Float64Array(cap);
    const vals = new Float64Array(cap);
    for (let i = 0; i < this.len; i++) {
      const j = (this.head + i) & this.mask;
      times[i] = this.times[j]!;
      vals[i] = this.vals[j]!;
    }
    this.times = times;
    this.vals = vals;
    this.mask = cap - 1;
    this.head = 0;
  }

  /** Contents front to back as [t0, v0, t1, v1, ...]. */
  toArray(): Float64Array {
    const out = new Float64Array(this.len * 2);
    for (let i = 0; i < this.len; i++) {
      const j = (this.head + i) & this.mask;
      out[2 * i] = this.times[j]!;
      out[2 * i + 1] = this.vals[j]!;
    }
    return out;
  }

  /** Replaces the contents with what toArray produced. */
  load(a: Float64Array): void {
    this.head = 0;
    this.len = 0;
    for (let i = 0; i + 1 < a.length; i += 2) {
      if (this.len === this.vals.length) this.grow();
      this.times[this.len] = a[i]!;
      this.vals[this.len] = a[i + 1]!;
      this.len++;
    }
  }
}
