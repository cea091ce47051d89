// Shared builders for the analytics tests (not used by production code).
import type { Alert, Candle, EventTimeMs, Price, Quantity, Trade } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';

export const universeOf = (...symbols: string[]): Universe =>
  new Universe(symbols.map((symbol) => ({ symbol, sector: 'Test', basePrice: 100, volatility: 0.02 })));

export const trade = (symbol: string, price: number, size: number, time: number, seq: number): Trade => ({
  symbol,
  price: price as Price,
  size: size as Quantity,
  time: time as EventTimeMs,
  conditions: [],
  seq,
});

export const newOut = (): { candles: Candle[]; alerts: Alert[] } => ({ candles: [], alerts: [] });

export const key = (c: Candle): string => `${c.symbol}/${c.intervalMs}/${c.start}`;
