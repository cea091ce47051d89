// The simulated market as one event stream: trades and the users' fills merged in event-time order.
// Fills take the simulator's current price, and since both come from one generator in one order the
// whole stream is deterministic for a seed and start time, however fast it is consumed.
import type { Fill, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { EventGenerator } from '../sources/drive.ts';
import { FillGenerator } from '../sources/orderflow.ts';
import { liveFirstSeq, TradeGenerator } from '../sources/simulator.ts';

export type MarketEvent = { kind: 'trade'; trade: Trade } | { kind: 'fill'; fill: Fill };

export interface MarketFlowOptions {
  universe: Universe;
  seed: number;
  startTime: number;
  /** Trades per second of event time. */
  tradeRate: number;
  /** Fills per second of event time (0: no order flow). */
  fillRate: number;
  users: number;
  /**
   * A live run (following the wall clock, not replayable) that a restart does not resume: its id (e.g.
   * its start time, epoch ms) makes its records' identities its own — trade seqs from liveFirstSeq,
   * fill ids prefixed with it — so that the processors' duplicate detection does not take the next
   * run's records, numbered from 1 again, for copies of the last one's.
   */
  liveRun?: number;
}

export class MarketFlow implements EventGenerator<MarketEvent> {
  readonly trades: TradeGenerator;
  readonly fills: FillGenerator | undefined;

  constructor(o: MarketFlowOptions) {
    this.trades = new TradeGenerator({
      universe: o.universe,
      seed: o.seed,
      startTime: o.startTime,
      nominalRate: o.tradeRate,
      ...(o.liveRun !== undefined ? { firstSeq: liveFirstSeq(o.liveRun) } : {}),
    });
    this.fills =
      o.fillRate > 0
        ? new FillGenerator({
            universe: o.universe,
            seed: o.seed + 1,
            users: o.users,
            startTime: o.startTime,
            nominalRate: o.fillRate,
            priceOf: (i) => this.trades.price(i),
            ...(o.liveRun !== undefined
              ? { idPrefix: `f${((o.seed + 1) >>> 0).toString(36)}-${o.liveRun.toString(36)}-` }
              : {}),
          })
        : undefined;
  }

  peekTime(): number {
    const t = this.trades.peekTime();
    return this.fills === undefined ? t : Math.min(t, this.fills.peekTime());
  }

  next(): MarketEvent {
    if (this.fills !== undefined && this.fills.peekTime() < this.trades.peekTime()) {
      return { kind: 'fill', fill: this.fills.next() };
    }
    return { kind: 'trade', trade: this.trades.next() };
  }
}

export const splitEvents = (events: readonly MarketEvent[]): { trades: Trade[]; fills: Fill[] } => {
  const trades: Trade[] = [];
  const fills: Fill[] = [];
  for (const e of events) {
    if (e.kind === 'trade') trades.push(e.trade);
    else fills.push(e.fill);
  }
  return { trades, fills };
};
