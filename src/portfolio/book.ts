// PositionBook: every (user, symbol) position of a partition in typed arrays, sized for tens of millions.
//
// Layout, and why:
// - Rows live in fixed-size pages of one Float64Array each, row-major [key, qty, avgCost, realized, time].
//   A fill touches all five fields, so they share one or two cache lines; pages mean growth never copies
//   (a doubling flat array would need 2× the memory at the moment it grows) and waste is at most a page.
// - A separate open-addressing index (Int32Array, linear probing) maps the packed key user·2^16 + symbol to a
//   slot. An entry is slot+1 in the low 27 bits (0 = empty) and 4 bits of the key's hash above them, so a probe
//   that hits another key is rejected without touching its row (one cache miss saved per collision). Slots are never deleted: a flat position keeps its realized P&L (the store
//   keeps closed positions too), so the table needs no tombstones.
// - Per-user index: heads[user] → first slot, next[slot] → following slot of the same user (slot+1 encoded).
// - Changed slots: a two-level bitset (one bit per slot, one summary bit per 32 words), so draining costs
//   O(slots / 1024 + changed) and memory stays at ~1 bit per position however many changed.
// Cost per position: 40 B row + 4 B next + 4/load B index + 1 bit ≈ 50 B.
import { TickstreamError } from '../domain/errors.ts';
import type { EventTimeMs, Position, Price, Side } from '../domain/types.ts';
import { assertLittleEndian, checkpointCorrupt } from './codec.ts';
import { mix2 } from './hash.ts';

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;
const STRIDE = 5;
const KEY = 0;
const QTY = 1;
const AVG = 2;
const REAL = 3;
const TIME = 4;
/** Symbol indexes must be below this (the key packs the symbol in 16 bits). */
export const MAX_SYMBOLS = 1 << 16;
const SYM_SPACE = MAX_SYMBOLS;
const MAX_USER = 0x7fffffff;
const MAX_LOAD = 0.75;
const SLOT_BITS = 27;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
/** Slots per book: the index entry keeps 27 bits for slot+1. */
export const MAX_POSITIONS = SLOT_MASK - 1;
const tagOf = (h: number): number => ((h >>> 28) & 15) << SLOT_BITS;
/** A position whose remaining quantity is this small relative to the previous one is flat (float dust). */
const FLAT_EPS = 1e-12;

const MAGIC = 0x42505354; // 'TSPB'
const VERSION = 1;
const HEADER = 24; // magic u32, version u32, symbols u32, pad u32, rows f64

const invalid = (what: string): TickstreamError => new TickstreamError('VALIDATION_FAILED', what);

export interface PositionBookOptions {
  /** Symbol names by index (Universe.symbols); used to name positions and to bound symbol indexes. */
  symbols: readonly string[];
  /** Initial index capacity (rounded up to a power of two). Pre-size for a known load; tiny values exercise growth. */
  indexCapacity?: number;
}

export class PositionBook {
  readonly symbols: readonly string[];
  private readonly rows: Float64Array[] = [];
  private readonly nexts: Int32Array[] = [];
  private count = 0;
  private index: Int32Array;
  private mask: number;
  private growAt: number;
  private heads = new Int32Array(1024);
  private dirty = new Uint32Array(PAGE >>> 5);
  private dirtySummary = new Uint32Array(PAGE >>> 10);
  private dirtyCount = 0;
  /** Slot touched by the last apply. */
  lastSlot = -1;
  /** What the last apply did to that slot: 1 opened (flat → non-zero), -1 closed (→ flat), 0 neither. */
  lastTransition = 0;

  constructor(options: PositionBookOptions) {
    if (options.symbols.length > MAX_SYMBOLS) throw invalid(`at most ${MAX_SYMBOLS} symbols`);
    this.symbols = options.symbols;
    let cap = 16;
    while (cap < (options.indexCapacity ?? 1024)) cap *= 2;
    this.index = new Int32Array(cap);
    this.mask = cap - 1;
    this.growAt = Math.floor(cap * MAX_LOAD);
  }

  /** Number of positions (slots), open or flat. */
  get size(): number {
    return this.count;
  }

  get indexCapacity(): number {
    return this.index.length;
  }

  /** Number of slots changed since the last drainChanged. */
  get changedCount(): number {
    return this.dirtyCount;
  }

  /** Bytes held by the typed arrays of this book (excluding the few JS objects around them). */
  get byteSize(): number {
    return (
      this.rows.length * (PAGE * STRIDE * 8 + PAGE * 4) +
      this.index.byteLength +
      this.heads.byteLength +
      this.dirty.byteLength +
      this.dirtySummary.byteLength
    );
  }

  /** Applies a fill; returns the realized P&L it produced. */
  apply(user: number, sym: number, side: Side, qty: number, price: number, time: number): number {
    if (side !== 'buy' && side !== 'sell') throw invalid(`side must be buy or sell`);
    if (!(qty > 0 && qty < Number.POSITIVE_INFINITY)) throw invalid(`quantity must be finite and > 0`);
    return this.applySigned(user, sym, side === 'buy' ? qty : -qty, price, time);
  }

  /** Applies a signed quantity (buy > 0, sell < 0). The hot path: no allocation. */
  applySigned(user: number, sym: number, signed: number, price: number, time: number): number {
    if ((user | 0) !== user || user < 0) throw invalid(`user must be an integer in 0..${MAX_USER}`);
    if ((sym | 0) !== sym || sym < 0 || sym >= this.symbols.length)
      throw invalid(`symbol index ${sym} unknown`);
    if (!(signed !== 0 && Math.abs(signed) < Number.POSITIVE_INFINITY))
      throw invalid('quantity must be finite and non-zero');
    if (!(price > 0 && price < Number.POSITIVE_INFINITY)) throw invalid('price must be finite and > 0');
    if (!Number.isFinite(time)) throw invalid('time must be finite');
    return this.applyUnchecked(user, sym, signed, price, time);
  }

  /**
   * applySigned without the argument checks, for a caller that has validated the record already
   * (PortfolioState.onFill). Wrong arguments corrupt the book: use applySigned anywhere else.
   */
  applyUnchecked(user: number, sym: number, signed: number, price: number, time: number): number {
    let s = this.find(user, sym);
    if (s < 0) s = this.insert(user, sym, -s - 1);
    const row = this.rows[s >>> PAGE_BITS]!;
    const o = (s & PAGE_MASK) * STRIDE;
    const q = row[o + QTY]!;
    let nq = q + signed;
    let realized = 0;
    let transition = 0;
    if (q === 0) {
      row[o + AVG] = price;
      transition = 1;
    } else if (q > 0 === signed > 0) {
      // Same direction: weighted average of the old basis and the new shares (signs cancel for shorts).
      row[o + AVG] = (q * row[o + AVG]! + signed * price) / nq;
    } else {
      // Reducing: realize on the closed part; sign-aware so a short gains when the price fell.
      const avg = row[o + AVG]!;
      const closed = Math.min(Math.abs(signed), Math.abs(q));
      realized = q > 0 ? (price - avg) * closed : (avg - price) * closed;
      row[o + REAL] = row[o + REAL]! + realized;
      if (Math.abs(nq) <= FLAT_EPS * Math.abs(q)) {
        nq = 0;
        row[o + AVG] = 0;
        transition = -1;
      } else if (nq > 0 !== q > 0) {
        // Crossed through zero: the remainder is a new position opened at the fill price.
        row[o + AVG] = price;
      }
    }
    row[o + QTY] = nq;
    row[o + TIME] = time;
    this.lastSlot = s;
    this.lastTransition = transition;
    this.markDirty(s);
    return realized;
  }

  // ---- lookups by (user, symbol) ----

  /** Slot of (user, sym), or -1. */
  slotOf(user: number, sym: number): number {
    if ((user | 0) !== user || user < 0 || (sym | 0) !== sym || sym < 0 || sym >= SYM_SPACE) return -1;
    const s = this.find(user, sym);
    return s < 0 ? -1 : s;
  }

  quantity(user: number, sym: number): number {
    const s = this.slotOf(user, sym);
    return s < 0 ? 0 : this.field(s, QTY);
  }

  avgCost(user: number, sym: number): number {
    const s = this.slotOf(user, sym);
    return s < 0 ? 0 : this.field(s, AVG);
  }

  realized(user: number, sym: number): number {
    const s = this.slotOf(user, sym);
    return s < 0 ? 0 : this.field(s, REAL);
  }

  updatedAt(user: number, sym: number): number {
    const s = this.slotOf(user, sym);
    return s < 0 ? 0 : this.field(s, TIME);
  }

  /** A user's positions (open and flat-with-realized-P&L), sorted by symbol. Allocates: not for hot paths. */
  positionsOf(user: number): Position[] {
    const out: Position[] = [];
    for (let s = this.firstSlot(user); s >= 0; s = this.nextSlot(s)) out.push(this.position(s));
    return out.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  // ---- slot access (no allocation; for valuation, holders, draining) ----

  /** First slot of a user, or -1; walk on with nextSlot. */
  firstSlot(user: number): number {
    return user >= 0 && user < this.heads.length ? this.heads[user]! - 1 : -1;
  }

  nextSlot(slot: number): number {
    return this.nexts[slot >>> PAGE_BITS]![slot & PAGE_MASK]! - 1;
  }

  slotUser(slot: number): number {
    return Math.floor(this.field(slot, KEY) / SYM_SPACE);
  }

  slotSymbol(slot: number): number {
    return this.field(slot, KEY) % SYM_SPACE;
  }

  slotQuantity(slot: number): number {
    return this.field(slot, QTY);
  }

  slotAvgCost(slot: number): number {
    return this.field(slot, AVG);
  }

  slotRealized(slot: number): number {
    return this.field(slot, REAL);
  }

  slotUpdatedAt(slot: number): number {
    return this.field(slot, TIME);
  }

  position(slot: number): Position {
    return {
      user: this.slotUser(slot),
      symbol: this.symbols[this.slotSymbol(slot)] ?? '',
      quantity: this.field(slot, QTY),
      avgCost: this.field(slot, AVG) as Price,
      realizedPnl: this.field(slot, REAL),
      updatedAt: this.field(slot, TIME) as EventTimeMs,
    };
  }

  /**
   * Calls cb for each slot changed since the last drain, in slot order, and clears the marks.
   * cb must not apply fills to this book.
   */
  drainChanged(cb: (slot: number) => void): number {
    const sum = this.dirtySummary;
    const d = this.dirty;
    let n = 0;
    for (let i = 0; i < sum.length; i++) {
      let sw = sum[i]!;
      if (sw === 0) continue;
      sum[i] = 0;
      while (sw !== 0) {
        const b = 31 - Math.clz32(sw & -sw);
        sw &= sw - 1;
        const w = (i << 5) | b;
        let dw = d[w]!;
        d[w] = 0;
        while (dw !== 0) {
          const c = 31 - Math.clz32(dw & -dw);
          dw &= dw - 1;
          cb((w << 5) | c);
          n++;
        }
      }
    }
    this.dirtyCount = 0;
    return n;
  }

  // ---- snapshots ----

  /** The whole book: header + rows [key, qty, avgCost, realized, time] as little-endian f64. */
  snapshot(): Uint8Array {
    assertLittleEndian();
    const out = new Uint8Array(HEADER + this.count * STRIDE * 8);
    this.writeHeader(out, this.count);
    const dst = new Float64Array(out.buffer, HEADER, this.count * STRIDE);
    for (let p = 0; p * PAGE < this.count; p++) {
      const n = Math.min(PAGE, this.count - p * PAGE);
      dst.set(this.rows[p]!.subarray(0, n * STRIDE), p * PAGE * STRIDE);
    }
    return out;
  }

  /** Only the given slots (e.g. collected in drainChanged), same format: a delta checkpoint for huge books. */
  snapshotSlots(slots: ArrayLike<number>, n = slots.length): Uint8Array {
    assertLittleEndian();
    const out = new Uint8Array(HEADER + n * STRIDE * 8);
    this.writeHeader(out, n);
    const dst = new Float64Array(out.buffer, HEADER, n * STRIDE);
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      if (!(s >= 0 && s < this.count)) throw new RangeError(`slot ${s} out of range`);
      const o = (s & PAGE_MASK) * STRIDE;
      dst.set(this.rows[s >>> PAGE_BITS]!.subarray(o, o + STRIDE), i * STRIDE);
    }
    return out;
  }

  /** A book from snapshot(). */
  static restore(bytes: Uint8Array, symbols: readonly string[]): PositionBook {
    const rows = PositionBook.rowCount(bytes);
    const book = new PositionBook({ symbols, indexCapacity: Math.ceil(rows / MAX_LOAD) + 1 });
    book.upsertRows(bytes);
    return book;
  }

  /** Upserts the rows of a snapshot or snapshotSlots() into this book (a full snapshot then deltas). */
  upsertRows(bytes: Uint8Array): void {
    assertLittleEndian();
    const n = PositionBook.rowCount(bytes);
    // Copy so the source need not be 8-byte aligned.
    const src = new Float64Array(n * STRIDE);
    new Uint8Array(src.buffer).set(bytes.subarray(HEADER, HEADER + n * STRIDE * 8));
    for (let i = 0; i < n; i++) {
      const b = i * STRIDE;
      const key = src[b + KEY]!;
      const user = Math.floor(key / SYM_SPACE);
      const sym = key - user * SYM_SPACE;
      if (!Number.isSafeInteger(key) || key < 0 || user > MAX_USER || sym >= this.symbols.length) {
        throw checkpointCorrupt(`row ${i}: bad key ${key}`);
      }
      for (let f = QTY; f <= TIME; f++) {
        if (!Number.isFinite(src[b + f]!)) throw checkpointCorrupt(`row ${i}: non-finite field ${f}`);
      }
      let s = this.find(user, sym);
      if (s < 0) s = this.insert(user, sym, -s - 1);
      const o = (s & PAGE_MASK) * STRIDE;
      this.rows[s >>> PAGE_BITS]!.set(src.subarray(b + QTY, b + STRIDE), o + QTY);
    }
  }

  private static rowCount(bytes: Uint8Array): number {
    if (bytes.length < HEADER) throw checkpointCorrupt('book header truncated');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) throw checkpointCorrupt('not a position book');
    if (dv.getUint32(4, true) !== VERSION) throw checkpointCorrupt(`book version ${dv.getUint32(4, true)}`);
    const n = dv.getFloat64(16, true);
    if (!Number.isSafeInteger(n) || n < 0 || bytes.length !== HEADER + n * STRIDE * 8) {
      throw checkpointCorrupt(`book of ${bytes.length} bytes cannot hold ${n} rows`);
    }
    return n;
  }

  private writeHeader(out: Uint8Array, rows: number): void {
    const dv = new DataView(out.buffer, out.byteOffset, HEADER);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, VERSION, true);
    dv.setUint32(8, this.symbols.length, true);
    dv.setFloat64(16, rows, true);
  }

  // ---- internals ----

  private field(slot: number, f: number): number {
    return this.rows[slot >>> PAGE_BITS]![(slot & PAGE_MASK) * STRIDE + f]!;
  }

  /** Slot ≥ 0 if present, else -(free index position + 1). */
  private find(user: number, sym: number): number {
    const key = user * SYM_SPACE + sym;
    const index = this.index;
    const mask = this.mask;
    const rows = this.rows;
    const h = mix2(user, sym);
    const tag = tagOf(h);
    let i = h & mask;
    for (;;) {
      const e = index[i]!;
      if (e === 0) return -i - 1;
      if ((e & ~SLOT_MASK) === tag) {
        const s = (e & SLOT_MASK) - 1;
        if (rows[s >>> PAGE_BITS]![(s & PAGE_MASK) * STRIDE] === key) return s;
      }
      i = (i + 1) & mask;
    }
  }

  private insert(user: number, sym: number, at: number): number {
    const s = this.count;
    if (s >= MAX_POSITIONS)
      throw new TickstreamError('VALIDATION_FAILED', `position book full (${MAX_POSITIONS})`);
    if (s >>> PAGE_BITS === this.rows.length) this.addPage();
    // A fresh page is zeroed, so qty/avg/realized/time start at 0.
    this.rows[s >>> PAGE_BITS]![(s & PAGE_MASK) * STRIDE + KEY] = user * SYM_SPACE + sym;
    if (user >= this.heads.length) this.growHeads(user);
    this.nexts[s >>> PAGE_BITS]![s & PAGE_MASK] = this.heads[user]!;
    this.heads[user] = s + 1;
    this.index[at] = tagOf(mix2(user, sym)) | (s + 1);
    this.count = s + 1;
    if (this.count > this.growAt) this.rehash(this.index.length * 2);
    return s;
  }

  private addPage(): void {
    this.rows.push(new Float64Array(PAGE * STRIDE));
    this.nexts.push(new Int32Array(PAGE));
    const words = (this.rows.length * PAGE) >>> 5;
    if (words > this.dirty.length) {
      const dirty = new Uint32Array(Math.max(words, this.dirty.length * 2));
      dirty.set(this.dirty);
      const summary = new Uint32Array(Math.ceil(dirty.length / 32));
      summary.set(this.dirtySummary);
      this.dirty = dirty;
      this.dirtySummary = summary;
    }
  }

  private growHeads(user: number): void {
    // 1.5× rather than 2×: users are dense, so the array ends close to the user count.
    const heads = new Int32Array(Math.max(user + 1, Math.floor(this.heads.length * 1.5)));
    heads.set(this.heads);
    this.heads = heads;
  }

  private rehash(cap: number): void {
    const index = new Int32Array(cap);
    const mask = cap - 1;
    for (let s = 0; s < this.count; s++) {
      const key = this.field(s, KEY);
      const user = Math.floor(key / SYM_SPACE);
      const h = mix2(user, key - user * SYM_SPACE);
      let i = h & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = tagOf(h) | (s + 1);
    }
    this.index = index;
    this.mask = mask;
    this.growAt = Math.floor(cap * MAX_LOAD);
  }

  private markDirty(s: number): void {
    const w = s >>> 5;
    const bit = 1 << (s & 31);
    const d = this.dirty;
    if ((d[w]! & bit) === 0) {
      d[w] = d[w]! | bit;
      const sw = w >>> 5;
      this.dirtySummary[sw] = this.dirtySummary[sw]! | (1 << (w & 31));
      this.dirtyCount++;
    }
  }
}
