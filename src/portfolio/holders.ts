// HoldersIndex: symbol → slots of the positions that hold it (non-zero quantity), for fan-out to holders
// and firm views. One growable Int32Array of slots per symbol plus one "listed" bit per slot: ~4 B per
// holding. Removal is lazy: a closed position stays listed (and is skipped while iterating) until a symbol's
// list is more than half stale, then that list is compacted — amortised O(1) per open/close, no back-pointers.
import type { PositionBook } from './book.ts';

export class HoldersIndex {
  private readonly book: PositionBook;
  private readonly lists: Int32Array[];
  private readonly lens: Int32Array;
  private readonly live: Int32Array;
  private listed = new Uint32Array(2048);

  constructor(book: PositionBook, symbols: number) {
    this.book = book;
    this.lists = Array.from({ length: symbols }, () => new Int32Array(8));
    this.lens = new Int32Array(symbols);
    this.live = new Int32Array(symbols);
  }

  /** Rebuilds the index from a book (after a restore). */
  static fromBook(book: PositionBook, symbols: number): HoldersIndex {
    const h = new HoldersIndex(book, symbols);
    for (let s = 0; s < book.size; s++) {
      if (book.slotQuantity(s) !== 0) h.opened(book.slotSymbol(s), s);
    }
    return h;
  }

  /** A position went from flat to non-zero. */
  opened(sym: number, slot: number): void {
    this.live[sym] = this.live[sym]! + 1;
    const w = slot >>> 5;
    if (w >= this.listed.length) {
      const next = new Uint32Array(Math.max(w + 1, this.listed.length * 2));
      next.set(this.listed);
      this.listed = next;
    }
    const bit = 1 << (slot & 31);
    if ((this.listed[w]! & bit) !== 0) return; // still listed from before it closed
    this.listed[w] = this.listed[w]! | bit;
    let list = this.lists[sym]!;
    const n = this.lens[sym]!;
    if (n === list.length) {
      const grown = new Int32Array(n * 2);
      grown.set(list);
      this.lists[sym] = list = grown;
    }
    list[n] = slot;
    this.lens[sym] = n + 1;
  }

  /** A position went flat. */
  closed(sym: number): void {
    const live = this.live[sym]! - 1;
    this.live[sym] = live;
    if (this.lens[sym]! > 2 * live + 16) this.compact(sym);
  }

  /** Number of holders of a symbol. */
  count(sym: number): number {
    return this.live[sym] ?? 0;
  }

  /** Calls cb for each holder of sym with its slot. cb must not apply fills. */
  forEach(sym: number, cb: (user: number, quantity: number, slot: number) => void): void {
    const list = this.lists[sym];
    if (list === undefined) return;
    const n = this.lens[sym]!;
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      const q = this.book.slotQuantity(s);
      if (q !== 0) cb(this.book.slotUser(s), q, s);
    }
  }

  /** Holders of a symbol as objects (API reads), at most `limit`. */
  holders(sym: number, limit = Number.POSITIVE_INFINITY): { user: number; quantity: number }[] {
    const out: { user: number; quantity: number }[] = [];
    this.forEach(sym, (user, quantity) => {
      if (out.length < limit) out.push({ user, quantity });
    });
    return out;
  }

  /** Bytes held by the lists and the listed bitset. */
  get byteSize(): number {
    let b = this.listed.byteLength + this.lens.byteLength + this.live.byteLength;
    for (const l of this.lists) b += l.byteLength;
    return b;
  }

  private compact(sym: number): void {
    const list = this.lists[sym]!;
    const n = this.lens[sym]!;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      if (this.book.slotQuantity(s) !== 0) list[k++] = s;
      else this.listed[s >>> 5] = this.listed[s >>> 5]! & ~(1 << (s & 31));
    }
    this.lens[sym] = k;
    if (list.length > 64 && k * 4 < list.length) this.lists[sym] = list.slice(0, Math.max(8, k * 2));
  }
}
