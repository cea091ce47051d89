// A small universe for the tests of this folder (the real one is being extended elsewhere).
import { Universe } from '../domain/universe.ts';

export const testUniverse = (): Universe =>
  new Universe([
    { symbol: 'AAPL', sector: 'Tech', basePrice: 100, volatility: 0.02 },
    { symbol: 'MSFT', sector: 'Tech', basePrice: 200, volatility: 0.02 },
    { symbol: 'JPM', sector: 'Financials', basePrice: 150, volatility: 0.02 },
    { symbol: 'XOM', sector: 'Energy', basePrice: 110, volatility: 0.02 },
    { symbol: 'CVX', sector: 'Energy', basePrice: 150, volatility: 0.02 },
  ]);
