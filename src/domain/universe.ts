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

export class Universe {
  readonly symbols: readonly string[];
  readonly infos: readonly SymbolInfo[];
  private readonly byName: Map<string, number>;

  constructor(infos: readonly SymbolInfo[]) {
    this.infos = infos;
    this.symbols = infos.map((i) => i.symbol);
    this.byName = new Map(this.symbols.map((s, i) => [s, i]));
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
