// Valuation: a user's portfolio figures computed on demand from the position book and the last prices.
// Fan-out is lazy: a price tick changes only the price table; a user is valued when read, or, when watched
// live, at most once per history interval.
//
// Marking: a symbol with no price yet is marked at its average cost (unrealized 0); a symbol with no
// previous close contributes no day change.
import type { EventTimeMs, PortfolioValue } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { PositionBook } from './book.ts';
import type { LastPrices } from './prices.ts';

export interface ValuationOptions {
  /** Minimum event-time spacing of history samples per watched user (default 1000 ms). */
  historyIntervalMs?: number;
  /** Most users watched at once; watch() refuses beyond it (default 100,000). */
  maxWatched?: number;
}

export class Valuation {
  private readonly book: PositionBook;
  private readonly prices: LastPrices;
  private readonly sectorNames: readonly string[];
  private readonly sectorOf: Int32Array;
  private readonly sectorSums: Float64Array;
  private readonly intervalMs: number;
  private readonly maxWatched: number;
  /** Watched user → event time of their last history sample. */
  private readonly watched = new Map<number, number>();

  constructor(book: PositionBook, prices: LastPrices, universe: Universe, options: ValuationOptions = {}) {
    this.book = book;
    this.prices = prices;
    this.sectorNames = universe.sectors();
    const sectorIndex = new Map(this.sectorNames.map((s, i) => [s, i]));
    this.sectorOf = Int32Array.from(universe.infos, (i) => sectorIndex.get(i.sector) ?? 0);
    this.sectorSums = new Float64Array(this.sectorNames.length);
    this.intervalMs = options.historyIntervalMs ?? 1000;
    this.maxWatched = options.maxWatched ?? 100_000;
  }

  /** The user's figures at the current last prices. */
  value(user: number, time: number): PortfolioValue {
    const book = this.book;
    const prices = this.prices;
    let value = 0;
    let cost = 0;
    let realized = 0;
    let dayChange = 0;
    for (let s = book.firstSlot(user); s >= 0; s = book.nextSlot(s)) {
      realized += book.slotRealized(s);
      const q = book.slotQuantity(s);
      if (q === 0) continue;
      const sym = book.slotSymbol(s);
      const avg = book.slotAvgCost(s);
      const last = prices.price(sym);
      const mark = Number.isNaN(last) ? avg : last;
      value += q * mark;
      cost += q * avg;
      const prev = prices.prevClose(sym);
      if (!Number.isNaN(last) && !Number.isNaN(prev)) dayChange += q * (last - prev);
    }
    return {
      user,
      time: time as EventTimeMs,
      value,
      cost,
      realizedPnl: realized,
      unrealizedPnl: value - cost,
      dayChange,
    };
  }

  /** Share of each sector in the user's gross exposure (Σ |market value|); sectors with nothing held are left out. */
  allocation(user: number): Record<string, number> {
    const sums = this.sectorSums;
    sums.fill(0);
    let gross = 0;
    for (let s = this.book.firstSlot(user); s >= 0; s = this.book.nextSlot(s)) {
      const q = this.book.slotQuantity(s);
      if (q === 0) continue;
      const sym = this.book.slotSymbol(s);
      const last = this.prices.price(sym);
      const mv = Math.abs(q * (Number.isNaN(last) ? this.book.slotAvgCost(s) : last));
      const k = this.sectorOf[sym]!;
      sums[k] = sums[k]! + mv;
      gross += mv;
    }
    const out: Record<string, number> = {};
    if (gross === 0) return out;
    for (let k = 0; k < sums.length; k++) if (sums[k]! > 0) out[this.sectorNames[k]!] = sums[k]! / gross;
    return out;
  }

  /** Starts sampling a user's value history. False when the watch limit is reached. */
  watch(user: number): boolean {
    if (this.watched.has(user)) return true;
    if (this.watched.size >= this.maxWatched) return false;
    this.watched.set(user, Number.NEGATIVE_INFINITY);
    return true;
  }

  unwatch(user: number): void {
    this.watched.delete(user);
  }

  isWatched(user: number): boolean {
    return this.watched.has(user);
  }

  get watchedCount(): number {
    return this.watched.size;
  }

  /** Values of watched users whose last sample is at least the history interval older than `time`. */
  sampleHistory(time: number): PortfolioValue[] {
    const out: PortfolioValue[] = [];
    for (const [user, last] of this.watched) {
      if (time - last < this.intervalMs) continue;
      this.watched.set(user, time);
      out.push(this.value(user, time));
    }
    return out;
  }
}
