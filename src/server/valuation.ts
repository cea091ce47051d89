// A user's portfolio valued when it is read (lazy fan-out): positions from the store, last prices and
// previous closes from the process's broadcast price view. A price tick never touches users.
import type { Position } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { LastPrices } from '../portfolio/prices.ts';

export interface PortfolioSummary {
  user: number;
  value: number;
  cost: number;
  unrealizedPnl: number;
  realizedPnl: number;
  /** Σ quantity × (last − previous close) over positions with both prices known. */
  dayChange: number;
  /** Share of gross market value (|quantity| × last price) per sector; sums to 1 when anything is held. */
  sectors: Record<string, number>;
  positions: (Position & { last: number | null; marketValue: number })[];
}

export function valuePortfolio(
  user: number,
  positions: readonly Position[],
  prices: LastPrices,
  universe: Universe,
): PortfolioSummary {
  let value = 0;
  let cost = 0;
  let realized = 0;
  let dayChange = 0;
  let gross = 0;
  const bySector: Record<string, number> = {};
  const rows: PortfolioSummary['positions'] = [];
  for (const p of positions) {
    realized += p.realizedPnl;
    const i = universe.index(p.symbol);
    const known = i >= 0 && !Number.isNaN(prices.price(i));
    // Without a price yet, a position is carried at cost: no unrealized P&L is invented.
    const last = known ? prices.price(i) : p.avgCost;
    const mv = p.quantity * last;
    value += mv;
    cost += p.quantity * p.avgCost;
    const prev = known ? prices.prevClose(i) : Number.NaN;
    if (!Number.isNaN(prev)) dayChange += p.quantity * (last - prev);
    const sector = universe.sector(p.symbol) ?? 'Unknown';
    bySector[sector] = (bySector[sector] ?? 0) + Math.abs(mv);
    gross += Math.abs(mv);
    rows.push({ ...p, last: known ? last : null, marketValue: mv });
  }
  const sectors: Record<string, number> = {};
  for (const [s, v] of Object.entries(bySector)) if (gross > 0) sectors[s] = v / gross;
  return {
    user,
    value,
    cost,
    unrealizedPnl: value - cost,
    realizedPnl: realized,
    dayChange,
    sectors,
    positions: rows,
  };
}
