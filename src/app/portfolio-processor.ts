// The portfolio processor: fills (keyed by user) → positions, P&L, value history, firm aggregates.
// Prices are a broadcast join: every portfolio process reads all trades (conflated to the last price
// per symbol per batch) into each of its partitions' price tables; fills are partitioned by user.
import type { Bus, BusRecord } from '../bus/port.ts';
import type { Config } from '../config.ts';
import { parseDuration } from '../config.ts';
import { decodeKnownFill, encodePortfolioValue, encodePosition } from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Universe } from '../domain/universe.ts';
import { RecentIds } from '../engine/dedup.ts';
import type { PartitionTask, ProcessorSpec, TaskContext } from '../engine/processor.ts';
import { decodeSections, encodeSections, fromJsonBytes, jsonBytes } from '../engine/snapshot.ts';
import { type PortfolioOutput, PortfolioState, type PortfolioStateOptions } from '../portfolio/portfolios.ts';
import type { PriceFeed, PriceListener } from './feeds.ts';
import { FIRM_TOPIC } from './sinks.ts';

/** Fill ids remembered for duplicate detection per partition (a bounded window of recent fills). */
const FILL_ID_WINDOW = 200_000;

const te = new TextEncoder();
export interface PortfolioProcessorOptions {
  bus: Bus;
  universe: Universe;
  config: Config;
  prices: PriceFeed;
}

export class PortfolioTask implements PartitionTask, PriceListener {
  readonly state: PortfolioState;
  private readonly opts: PortfolioProcessorOptions;
  private readonly seen: RecentIds<string>;
  private readonly out: PortfolioOutput = { positions: [], values: [], firm: [] };

  private readonly partition: number;

  constructor(
    opts: PortfolioProcessorOptions,
    partition: number,
    stateOptions: PortfolioStateOptions,
    watchUsers: number,
    restored?: Uint8Array,
  ) {
    this.opts = opts;
    this.partition = partition;
    if (restored === undefined) {
      this.state = new PortfolioState(stateOptions);
      this.seen = new RecentIds(FILL_ID_WINDOW);
    } else {
      const s = decodeSections(restored);
      const st = s.get('state');
      if (st === undefined) throw new RangeError('portfolio checkpoint lacks its state section');
      this.state = PortfolioState.restore(st, stateOptions);
      const seen = s.get('seen');
      this.seen = RecentIds.from(
        seen === undefined ? [] : fromJsonBytes<[string, number][]>(seen),
        FILL_ID_WINDOW,
      );
    }
    // Value history is sampled for watched users (the first N ids by default; the live hub adds more).
    for (let u = 0; u < watchUsers; u++) this.state.valuation.watch(u);
    opts.prices.register(this);
  }

  onPrice(symbolIndex: number, price: number, time: number): void {
    this.state.onPrice(symbolIndex, price, time);
  }

  process(records: readonly BusRecord[], ctx: TaskContext): void {
    for (const r of records) {
      const d = decodeKnownFill(r.value, this.opts.universe);
      if (!d.ok) {
        ctx.deadletter(r, d.reason, d.detail);
        continue;
      }
      const f = d.value;
      if (this.seen.has(f.fillId)) {
        ctx.deadletter(r, 'duplicate', `fill ${f.fillId} was already applied`);
        continue;
      }
      this.seen.add(f.fillId, f.time);
      this.state.onFill(f);
    }
  }

  async flush(): Promise<void> {
    this.state.drain(this.out);
    const { positions, values, firm } = this.out;
    const records = [
      ...positions.map((p) => ({ key: String(p.user), value: encodePosition(p) })),
      ...values.map((v) => ({ key: String(v.user), value: encodePortfolioValue(v) })),
    ];
    if (records.length > 0) await this.opts.bus.send(TOPICS.portfolioUpdates, records);
    if (firm.length > 0) {
      await this.opts.bus.send(
        FIRM_TOPIC,
        firm.map((row) => ({
          key: row.day,
          value: te.encode(JSON.stringify({ ...row, shard: this.partition })),
        })),
      );
    }
    positions.length = 0;
    values.length = 0;
    firm.length = 0;
  }

  snapshot(): Uint8Array {
    return encodeSections({ state: this.state.snapshot(), seen: jsonBytes(this.seen.entries()) });
  }

  close(): void {
    this.opts.prices.unregister(this);
  }
}

export const portfolioProcessor = (opts: PortfolioProcessorOptions): ProcessorSpec => {
  const stateOptions: PortfolioStateOptions = {
    universe: opts.universe,
    bucketMs: parseDuration(opts.config.portfolio.firmBucket),
    historyIntervalMs: parseDuration(opts.config.portfolio.historyEvery),
    allowedLatenessMs: opts.config.engine.allowedLatenessMs,
  };
  return {
    name: 'portfolio',
    topic: TOPICS.fills,
    stateful: true,
    createTask: (partition, restored) =>
      new PortfolioTask(opts, partition, stateOptions, opts.config.portfolio.watchUsers, restored),
  };
};
