// LastPrices: the broadcast table symbol index → last price and previous close. Every portfolio instance
// reads all trades (thousands of symbols) and keeps only the latest price per symbol (conflated), so a price
// tick costs O(1) and never touches users.
//
// Day roll: when a trade arrives on a later UTC day than the symbol's previous one, the last price of the
// earlier day becomes the previous close. With no previous day seen (and none seeded by setPrevClose),
// the first price seen stands in for it, so day change counts from the first observation.
import { TickstreamError } from '../domain/errors.ts';
import { BinReader, BinWriter, checkpointCorrupt } from './codec.ts';

const DAY_MS = 86_400_000;
const MAGIC = 0x4c505354; // 'TSPL'

export class LastPrices {
  readonly size: number;
  private readonly last: Float64Array;
  private readonly prev: Float64Array;
  private readonly time: Float64Array;
  private readonly changed: Uint8Array;
  private readonly changedList: Int32Array;
  private changedCount = 0;

  constructor(symbols: number) {
    this.size = symbols;
    this.last = new Float64Array(symbols).fill(Number.NaN);
    this.prev = new Float64Array(symbols).fill(Number.NaN);
    this.time = new Float64Array(symbols).fill(Number.NEGATIVE_INFINITY);
    this.changed = new Uint8Array(symbols);
    this.changedList = new Int32Array(symbols);
  }

  /**
   * Records a trade price. Returns false (and changes nothing) for a print older than the one held:
   * the table is conflated to the latest event time, so out-of-order prints cannot move it backwards.
   */
  update(sym: number, price: number, time: number): boolean {
    if ((sym | 0) !== sym || sym < 0 || sym >= this.size) {
      throw new TickstreamError('VALIDATION_FAILED', `symbol index ${sym} unknown`);
    }
    if (!(price > 0 && price < Number.POSITIVE_INFINITY) || !Number.isFinite(time)) {
      throw new TickstreamError('VALIDATION_FAILED', 'price must be finite and > 0, time finite');
    }
    const t0 = this.time[sym]!;
    if (time < t0) return false;
    if (t0 === Number.NEGATIVE_INFINITY) {
      if (Number.isNaN(this.prev[sym]!)) this.prev[sym] = price;
    } else if (Math.floor(time / DAY_MS) > Math.floor(t0 / DAY_MS)) {
      this.prev[sym] = this.last[sym]!;
    }
    this.last[sym] = price;
    this.time[sym] = time;
    if (this.changed[sym] === 0) {
      this.changed[sym] = 1;
      this.changedList[this.changedCount++] = sym;
    }
    return true;
  }

  /** Seeds the previous close (e.g. from the store at start of day). */
  setPrevClose(sym: number, price: number): void {
    if (sym >= 0 && sym < this.size && price > 0 && price < Number.POSITIVE_INFINITY) this.prev[sym] = price;
  }

  /** Last price, NaN if none seen. */
  price(sym: number): number {
    return this.last[sym] ?? Number.NaN;
  }

  /** Previous close, NaN if unknown. */
  prevClose(sym: number): number {
    return this.prev[sym] ?? Number.NaN;
  }

  /** Event time of the last price, -Infinity if none. */
  timeOf(sym: number): number {
    return this.time[sym] ?? Number.NEGATIVE_INFINITY;
  }

  /** Symbols whose price changed since the last drain, each once (conflated), in order of first change. */
  drainChanged(cb: (sym: number, price: number, time: number) => void): number {
    const n = this.changedCount;
    for (let i = 0; i < n; i++) {
      const s = this.changedList[i]!;
      this.changed[s] = 0;
      cb(s, this.last[s]!, this.time[s]!);
    }
    this.changedCount = 0;
    return n;
  }

  snapshot(): Uint8Array {
    return new BinWriter(64 + this.size * 24)
      .u32(MAGIC)
      .u32(this.size)
      .f64s(this.last)
      .f64s(this.prev)
      .f64s(this.time)
      .finish();
  }

  static restore(bytes: Uint8Array, symbols: number): LastPrices {
    const r = new BinReader(bytes);
    if (r.u32('magic') !== MAGIC) throw checkpointCorrupt('not a price table');
    const n = r.u32('size');
    if (n > symbols) throw checkpointCorrupt(`price table of ${n} symbols, universe has ${symbols}`);
    const p = new LastPrices(symbols);
    p.last.set(r.f64s(n, 'last'));
    p.prev.set(r.f64s(n, 'prev'));
    p.time.set(r.f64s(n, 'time'));
    r.end();
    return p;
  }
}
