// Placeholder: the sources engineer replaces this with the full S&P 500-like universe (≥ 500 symbols).
import type { SymbolInfo } from './universe.ts';

export const SP500: readonly SymbolInfo[] = [
  { symbol: 'AAPL', sector: 'Information Technology', basePrice: 190, volatility: 0.018 },
  { symbol: 'MSFT', sector: 'Information Technology', basePrice: 410, volatility: 0.016 },
  { symbol: 'JPM', sector: 'Financials', basePrice: 195, volatility: 0.015 },
  { symbol: 'XOM', sector: 'Energy', basePrice: 115, volatility: 0.017 },
];
