// Bounded duplicate detection. A duplicate older than the watermark is already rejected as late, so
// only identities of records still inside the lateness horizon need remembering; the set is also
// capped in size so a burst cannot grow it without limit. It is part of the checkpointed state so
// that a restore sees exactly the identities the uninterrupted run saw.

export class RecentIds<K extends string | number> {
  private readonly times = new Map<K, number>();
  private readonly order: K[] = [];
  private head = 0;
  private readonly cap: number;

  constructor(cap = 1_000_000) {
    this.cap = cap;
  }

  get size(): number {
    return this.times.size;
  }

  has(id: K): boolean {
    return this.times.has(id);
  }

  add(id: K, time: number): void {
    this.times.set(id, time);
    this.order.push(id);
    if (this.times.size > this.cap) this.evictOne();
  }

  /** Forgets identities whose event time is below the watermark (they would be rejected as late anyway). */
  expire(watermark: number): void {
    // Arrival order is roughly event-time order; stop at the first one still inside the horizon.
    while (this.head < this.order.length) {
      const id = this.order[this.head] as K;
      const t = this.times.get(id);
      if (t !== undefined && t >= watermark) break;
      this.times.delete(id);
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  private evictOne(): void {
    while (this.head < this.order.length) {
      const id = this.order[this.head++] as K;
      if (this.times.delete(id)) return;
    }
  }

  entries(): [K, number][] {
    const out: [K, number][] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const id = this.order[i] as K;
      const t = this.times.get(id);
      if (t !== undefined) out.push([id, t]);
    }
    return out;
  }

  static from<K extends string | number>(entries: readonly [K, number][], cap?: number): RecentIds<K> {
    const r = new RecentIds<K>(cap);
    for (const [id, t] of entries) r.add(id, t);
    return r;
  }
}
