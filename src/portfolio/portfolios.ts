// PortfolioState: the keyed state of one portfolio partition, as the engine drives it. Fills of the
// partition's users update positions, the holders index and firm aggregates; trades (all of them: the price
// table is broadcast) update last prices only. drain() hands out what changed since the last drain.
import { TickstreamError } from '../domain/errors.ts';
import type { DeadletterReason, Fill, PortfolioValue, Position } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { FirmStatRow } from '../store/port.ts';
import { PositionBook } from './book.ts';
import { BinReader, BinWriter, checkpointCorrupt } from './codec.ts';
import { FirmAggregator, type FirmOptions } from './firm.ts';
import { HoldersIndex } from './holders.ts';
import { LastPrices } from './prices.ts';
import { Valuation, type ValuationOptions } from './valuation.ts';

export interface PortfolioStateOptions extends FirmOptions, ValuationOptions {
  universe: Universe;
  /** Expected positions in this partition (pre-sizes the hash index; growth works without it). */
  expectedPositions?: number;
}

export interface PortfolioOutput {
  positions: Position[];
  values: PortfolioValue[];
  firm: FirmStatRow[];
}

export interface FillProblem {
  reason: DeadletterReason;
  detail: string;
}

const MAX_FILL_ID = 256;
const MAX_USER = 0x7fffffff;
const MAGIC = 0x53505354; // 'TSPS'

/** Why a fill cannot be applied, or undefined when it can. The engine deadletters with this reason. */
export const fillProblem = (f: Fill, universe: Universe): FillProblem | undefined => {
  if (typeof f.fillId !== 'string' || f.fillId.length === 0 || f.fillId.length > MAX_FILL_ID) {
    return { reason: 'invalid_field', detail: `fillId must be a string of 1..${MAX_FILL_ID} chars` };
  }
  if (!Number.isInteger(f.user) || f.user < 0 || f.user >= MAX_USER) {
    return { reason: 'invalid_field', detail: `user must be an integer in 0..${MAX_USER - 1}` };
  }
  if (typeof f.symbol !== 'string' || universe.index(f.symbol) < 0) {
    return { reason: 'unknown_symbol', detail: `symbol ${String(f.symbol).slice(0, 32)} not in universe` };
  }
  if (f.side !== 'buy' && f.side !== 'sell')
    return { reason: 'invalid_field', detail: 'side must be buy or sell' };
  if (typeof f.quantity !== 'number' || typeof f.price !== 'number') {
    return { reason: 'invalid_field', detail: 'quantity and price must be numbers' };
  }
  if (!Number.isFinite(f.quantity) || !Number.isFinite(f.price)) {
    return { reason: 'non_finite', detail: 'quantity and price must be finite' };
  }
  if (f.quantity <= 0 || f.price <= 0)
    return { reason: 'non_positive', detail: 'quantity and price must be > 0' };
  if (!Number.isSafeInteger(f.time) || f.time < 0) {
    return { reason: 'bad_timestamp', detail: 'time must be a non-negative integer of ms' };
  }
  return undefined;
};

export class PortfolioState {
  readonly universe: Universe;
  readonly book: PositionBook;
  readonly prices: LastPrices;
  readonly holders: HoldersIndex;
  readonly valuation: Valuation;
  readonly firm: FirmAggregator;
  /** Highest event time seen in fills or prices: the time stamped on value samples. */
  private clock = Number.NEGATIVE_INFINITY;

  constructor(
    options: PortfolioStateOptions,
    restored?: { book: PositionBook; prices: LastPrices; firm: FirmAggregator },
  ) {
    this.universe = options.universe;
    const n = this.universe.size;
    this.book =
      restored?.book ??
      new PositionBook({
        symbols: this.universe.symbols,
        indexCapacity: Math.ceil((options.expectedPositions ?? 768) / 0.75),
      });
    this.prices = restored?.prices ?? new LastPrices(n);
    this.firm = restored?.firm ?? new FirmAggregator(this.universe, options);
    this.holders = restored ? HoldersIndex.fromBook(this.book, n) : new HoldersIndex(this.book, n);
    this.valuation = new Valuation(this.book, this.prices, this.universe, options);
  }

  /** Applies a fill; returns the realized P&L it produced. Throws VALIDATION_FAILED (see fillProblem) before any change. */
  onFill(f: Fill): number {
    // Fast check of the common case; the detailed (slower) reason only on failure.
    const sym = typeof f.symbol === 'string' ? this.universe.index(f.symbol) : -1;
    if (
      sym < 0 ||
      typeof f.quantity !== 'number' ||
      typeof f.price !== 'number' ||
      !(f.quantity > 0 && f.quantity < Number.POSITIVE_INFINITY) ||
      !(f.price > 0 && f.price < Number.POSITIVE_INFINITY) ||
      !Number.isSafeInteger(f.time) ||
      f.time < 0 ||
      !Number.isInteger(f.user) ||
      f.user < 0 ||
      f.user >= MAX_USER ||
      (f.side !== 'buy' && f.side !== 'sell') ||
      typeof f.fillId !== 'string' ||
      f.fillId.length === 0 ||
      f.fillId.length > MAX_FILL_ID
    ) {
      const problem = fillProblem(f, this.universe);
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `fill ${problem?.reason ?? 'invalid_field'}: ${problem?.detail}`,
      );
    }
    const signed = f.side === 'buy' ? f.quantity : -f.quantity;
    const realized = this.book.applyUnchecked(f.user, sym, signed, f.price, f.time); // validated above
    const t = this.book.lastTransition;
    if (t === 1) this.holders.opened(sym, this.book.lastSlot);
    else if (t === -1) this.holders.closed(sym);
    this.firm.onFill(f.user, sym, signed, f.price, f.time);
    if (f.time > this.clock) this.clock = f.time;
    return realized;
  }

  /** A trade price for a symbol index. Returns false if older than the price held (conflated away). */
  onPrice(sym: number, price: number, time: number): boolean {
    const taken = this.prices.update(sym, price, time);
    if (taken && time > this.clock) this.clock = time;
    return taken;
  }

  /** Appends what changed since the last drain: positions, value samples of watched users, firm rows. */
  drain(out: PortfolioOutput): void {
    this.book.drainChanged((slot) => {
      out.positions.push(this.book.position(slot));
    });
    if (this.clock !== Number.NEGATIVE_INFINITY) {
      for (const v of this.valuation.sampleHistory(this.clock)) out.values.push(v);
    }
    for (const row of this.firm.drain()) out.firm.push(row);
  }

  /** Positions, prices and open firm buckets. Watched users are session state and are not included. */
  snapshot(): Uint8Array {
    const book = this.book.snapshot();
    return new BinWriter(book.length + 64 * 1024)
      .u32(MAGIC)
      .f64(this.clock)
      .bytes(book)
      .bytes(this.prices.snapshot())
      .bytes(this.firm.snapshot())
      .finish();
  }

  static restore(bytes: Uint8Array, options: PortfolioStateOptions): PortfolioState {
    const r = new BinReader(bytes);
    if (r.u32('magic') !== MAGIC) throw checkpointCorrupt('not a portfolio state');
    const clock = r.f64('clock');
    const book = PositionBook.restore(r.bytes('book'), options.universe.symbols);
    const prices = LastPrices.restore(r.bytes('prices'), options.universe.size);
    const firm = FirmAggregator.restore(r.bytes('firm'), options.universe, options);
    r.end();
    const state = new PortfolioState(options, { book, prices, firm });
    state.clock = clock;
    return state;
  }
}
