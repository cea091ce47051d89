// The symbol universe: which symbols exist, their sector and the parameters the simulator uses.
// Trades for a symbol outside the universe go to deadletter as `unknown_symbol`.
import { SP500 } from './sp500.ts';

export interface SymbolInfo {
  symbol: string;
  sector: string;
  /** A plausible starting price for the simulator. */
  basePrice: number;
  /** Daily volatility as a fraction (0.02 = 2%); the simulator scales its gaussian shocks by it. */
  volatility: number;
}

/** FNV-1a of b[start, end). */
const hashBytes = (b: Uint8Array, start: number, end: number): number => {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h ^ (h >>> 15);
};

export class Universe {
  readonly symbols: readonly string[];
  readonly infos: readonly SymbolInfo[];
  private readonly byName: Map<string, number>;
  // Symbols by their bytes (open addressing, linear probing): the consumer finds a trade's symbol from
  // the record's bytes without making a string of them. Slot value: index + 1, 0 for empty.
  private readonly slots: Int32Array;
  private readonly utf8: readonly Uint8Array[];

  constructor(infos: readonly SymbolInfo[]) {
    this.infos = infos;
    this.symbols = infos.map((i) => i.symbol);
    this.byName = new Map(this.symbols.map((s, i) => [s, i]));
    const enc = new TextEncoder();
    this.utf8 = this.symbols.map((s) => enc.encode(s));
    let size = 16;
    while (size < 4 * this.symbols.length) size *= 2;
    this.slots = new Int32Array(size);
    for (let i = 0; i < this.utf8.length; i++) {
      const a = this.utf8[i]!;
      if (this.byName.get(this.symbols[i]!) !== i) continue; // a repeated symbol: the index byName keeps
      let slot = hashBytes(a, 0, a.length) & (size - 1);
      while (this.slots[slot] !== 0) slot = (slot + 1) & (size - 1);
      this.slots[slot] = i + 1;
    }
  }

  /** index() of the symbol whose UTF-8 bytes are b[start, end); -1 for none. */
  indexOfBytes(b: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    const len = end - start;
    for (let slot = hashBytes(b, start, end) & mask; ; slot = (slot + 1) & mask) {
      const v = this.slots[slot]!;
      if (v === 0) return -1;
      const a = this.utf8[v - 1]!;
      if (a.length !== len) continue;
      let i = 0;
      while (i < len && a[i] === b[start + i]) i++;
      if (i === len) return v - 1;
    }
  }

  static default(): Universe {
    return new Universe(SP500);
  }

  get size(): number {
    return this.infos.length;
  }

  has(symbol: string): boolean {
    return this.byName.has(symbol);
  }

  /** Dense index 0..size-1, or -1 for an unknown symbol. */
  index(symbol: string): number {
    return this.byName.get(symbol) ?? -1;
  }

  info(index: number): SymbolInfo {
    const i = this.infos[index];
    if (i === undefined) throw new RangeError(`symbol index ${index} out of range 0..${this.size - 1}`);
    return i;
  }

  sector(symbol: string): string | undefined {
    const i = this.byName.get(symbol);
    return i === undefined ? undefined : this.infos[i]?.sector;
  }

  /** Distinct sectors, sorted. */
  sectors(): string[] {
    return [...new Set(this.infos.map((i) => i.sector))].sort();
  }
}
