// Broadcast joins: small tables every process needs in full (last prices, alert rules), read from
// their topic by each process in its own consumer group from the start of the retained log, and
// pushed to whoever registered. They are views, not checkpointed state: a restarted process reads
// them again from the log.
import { randomUUID } from 'node:crypto';
import type { Bus, BusRecord, Consumer } from '../bus/port.ts';
import { decodeTrade } from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { AlertRule } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { LastPrices } from '../portfolio/prices.ts';

abstract class BroadcastFeed {
  private readonly bus: Bus;
  private readonly topic: string;
  private consumer: Consumer | undefined;
  private loop: Promise<void> | undefined;

  constructor(bus: Bus, topic: string) {
    this.bus = bus;
    this.topic = topic;
  }

  protected abstract apply(records: readonly BusRecord[]): void;

  start(): void {
    if (this.consumer !== undefined) return;
    const c = this.bus.consumer({
      group: `${this.topic}-view-${randomUUID()}`,
      topics: [this.topic],
      reset: 'earliest',
      maxBatch: 20_000,
    });
    this.consumer = c;
    this.loop = (async () => {
      for await (const batch of c.batches()) this.apply(batch.records);
    })().catch(() => {
      // A view is best effort: it catches up again when the bus is back (the consumer reconnects).
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.loop;
    this.consumer = undefined;
  }
}

export interface PriceListener {
  onPrice(symbolIndex: number, price: number, time: number): void;
}

/** Last trade price and previous close per symbol, conflated per batch, pushed to listeners. */
export class PriceFeed extends BroadcastFeed {
  readonly prices: LastPrices;
  private readonly universe: Universe;
  private readonly listeners = new Set<PriceListener>();

  constructor(bus: Bus, universe: Universe) {
    super(bus, TOPICS.trades);
    this.universe = universe;
    this.prices = new LastPrices(universe.size);
  }

  /** A new listener starts with every price already known. */
  register(l: PriceListener): void {
    this.listeners.add(l);
    for (let i = 0; i < this.prices.size; i++) {
      const p = this.prices.price(i);
      if (!Number.isNaN(p)) l.onPrice(i, p, this.prices.timeOf(i));
    }
  }

  unregister(l: PriceListener): void {
    this.listeners.delete(l);
  }

  protected apply(records: readonly BusRecord[]): void {
    for (const r of records) {
      const d = decodeTrade(r.value);
      if (!d.ok) continue; // the analytics processor deadletters bad trades; a view just skips them
      const t = d.value;
      const i = this.universe.index(t.symbol);
      if (i < 0 || !(t.price > 0 && t.price < Number.POSITIVE_INFINITY) || !Number.isFinite(t.time)) continue;
      this.prices.update(i, t.price, t.time);
    }
    this.prices.drainChanged((sym, price, time) => {
      for (const l of this.listeners) l.onPrice(sym, price, time);
    });
  }
}

const td = new TextDecoder();
const te = new TextEncoder();

export const encodeRule = (r: AlertRule): Uint8Array => te.encode(JSON.stringify(r));

/** User-defined alert rules (key: rule id; an empty value deletes the rule), pushed as a whole set. */
export class RuleFeed extends BroadcastFeed {
  private readonly rules = new Map<string, AlertRule>();
  private readonly listeners = new Set<(rules: readonly AlertRule[]) => void>();

  constructor(bus: Bus) {
    super(bus, TOPICS.alertRules);
  }

  register(l: (rules: readonly AlertRule[]) => void): void {
    this.listeners.add(l);
    if (this.rules.size > 0) l([...this.rules.values()]);
  }

  unregister(l: (rules: readonly AlertRule[]) => void): void {
    this.listeners.delete(l);
  }

  protected apply(records: readonly BusRecord[]): void {
    for (const r of records) {
      if (r.key === null) continue;
      if (r.value.length === 0) {
        this.rules.delete(r.key);
        continue;
      }
      try {
        const rule = JSON.parse(td.decode(r.value)) as AlertRule;
        if (rule.id === r.key) this.rules.set(rule.id, rule); // validated by the HTTP edge that wrote it
      } catch {
        // not a rule: ignored (the topic is written only by our own API)
      }
    }
    const all = [...this.rules.values()];
    for (const l of this.listeners) l(all);
  }
}
