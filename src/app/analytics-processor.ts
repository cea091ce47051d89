// The market analytics processor: trades (keyed by symbol) → candles, indicators, alerts, anomalies.
// Per partition: decode → validate → lateness vs the watermark → duplicates → MarketAnalytics.
// Outputs go to the candles and alerts topics; sinks upsert them into the store.

import type { AnalyticsConfig } from '../analytics/config.ts';
import { MarketAnalytics } from '../analytics/market.ts';
import type { Bus, BusRecord } from '../bus/port.ts';
import { CLEAN_TRADE, decodeTrade, encodeAlert, encodeCandle, readCleanTradeOf } from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Alert, AlertRule, Candle, DurationMs, EventTimeMs } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { unknownSymbol } from '../domain/validate.ts';
import type { PartitionTask, ProcessorSpec, TaskContext } from '../engine/processor.ts';
import { SeqRanges } from '../engine/seq-ranges.ts';
import { decodeSections, encodeSections } from '../engine/snapshot.ts';
import { Watermark } from '../engine/watermark.ts';
import type { RuleFeed } from './feeds.ts';

export interface AnalyticsProcessorOptions {
  bus: Bus;
  /** User-defined alert rules, broadcast to every partition task. */
  rules?: RuleFeed;
  universe: Universe;
  analytics: AnalyticsConfig;
  allowedLatenessMs: number;
}

// Duplicate detection by (symbol, seq): sources number each symbol's trades in order (see SeqRanges).
// Checkpoints before it held the ids as JSON pairs [id, time], id = seq × 4096 + symbol index while that
// fitted, "symbolIndex:seq" otherwise; `decodeSeen` still reads them.
const LEGACY_SYMBOL_BITS = 4096;
const decodeSeen = (b: Uint8Array | undefined, symbols: number): SeqRanges => {
  if (b === undefined) return new SeqRanges(symbols);
  if (b[0] !== 0x5b) return SeqRanges.restore(b, symbols); // not '[': the binary form
  const r = new SeqRanges(symbols);
  const ids = JSON.parse(new TextDecoder().decode(b)) as [number | string, number][];
  for (const [id, time] of ids) {
    let s: number;
    let seq: number;
    if (typeof id === 'number') {
      s = id % LEGACY_SYMBOL_BITS;
      seq = (id - s) / LEGACY_SYMBOL_BITS;
    } else {
      const [a = '', c = ''] = id.split(':');
      s = Number(a);
      seq = Number(c);
    }
    if (s >= 0 && s < symbols && !r.has(s, seq)) r.add(s, seq, time);
  }
  return r;
};

export class AnalyticsTask implements PartitionTask {
  private readonly opts: AnalyticsProcessorOptions;
  private readonly analytics: MarketAnalytics;
  private readonly watermark: Watermark;
  private readonly seen: SeqRanges;
  private readonly out: { candles: Candle[]; alerts: Alert[] } = { candles: [], alerts: [] };

  constructor(opts: AnalyticsProcessorOptions, restored?: Uint8Array) {
    this.opts = opts;
    const lateness = opts.allowedLatenessMs as DurationMs;
    if (restored === undefined) {
      this.analytics = new MarketAnalytics(opts.analytics, opts.universe);
      this.watermark = new Watermark(lateness);
      this.seen = new SeqRanges(opts.universe.size);
    } else {
      const s = decodeSections(restored);
      const a = s.get('analytics');
      if (a === undefined) throw new RangeError('analytics checkpoint lacks its analytics section');
      this.analytics = MarketAnalytics.restore(a, opts.analytics, opts.universe);
      const wm = s.get('watermark');
      const maxSeen = wm === undefined ? undefined : new DataView(wm.buffer, wm.byteOffset, 8).getFloat64(0);
      this.watermark = new Watermark(lateness, maxSeen);
      this.seen = decodeSeen(s.get('seen'), opts.universe.size);
    }
    opts.rules?.register(this.onRules);
  }

  private readonly onRules = (rules: readonly AlertRule[]): void => {
    this.analytics.setRules(rules);
  };

  close(): void {
    this.opts.rules?.unregister(this.onRules);
  }

  process(records: readonly BusRecord[], ctx: TaskContext): void {
    const { universe } = this.opts;
    const ct = CLEAN_TRADE;
    let moved = false;
    for (const r of records) {
      // Most trades: read in place, the symbol found by its bytes (readCleanTradeOf). Anything else, good
      // or bad, goes through decodeTrade, whose verdict holds every rule of checkTrade; the universe is
      // checked here, by the index lookup the analytics need anyway (see decodeKnownTrade).
      if (readCleanTradeOf(r.value)) {
        const s = universe.indexOfBytes(r.value, ct.symbolAt, ct.symbolEnd);
        if (s >= 0) {
          if (this.apply(r, ctx, s, ct.price, ct.size, ct.time as EventTimeMs, ct.seq)) moved = true;
          continue;
        }
      }
      const d = decodeTrade(r.value);
      if (!d.ok) {
        ctx.deadletter(r, d.reason, d.detail);
        continue;
      }
      const t = d.value;
      const symbolIndex = universe.index(t.symbol);
      if (symbolIndex < 0) {
        const u = unknownSymbol(t.symbol);
        ctx.deadletter(r, u.reason, u.detail);
        continue;
      }
      if (this.apply(r, ctx, symbolIndex, t.price, t.size, t.time, t.seq)) moved = true;
    }
    if (moved) {
      this.analytics.advanceWatermark(this.watermark.value);
      this.seen.expire(this.watermark.value);
    }
  }

  /** A valid trade of a known symbol: late, duplicate or applied. True when the watermark moved. */
  private apply(
    r: BusRecord,
    ctx: TaskContext,
    s: number,
    price: number,
    size: number,
    time: EventTimeMs,
    seq: number,
  ): boolean {
    if (this.watermark.isLate(time)) {
      ctx.deadletter(r, 'late', `event time ${time} is older than the watermark ${this.watermark.value}`);
      return false;
    }
    if (this.seen.has(s, seq)) {
      const symbol = this.opts.universe.symbols[s];
      ctx.deadletter(r, 'duplicate', `trade ${symbol} seq ${seq} was already applied`);
      return false;
    }
    this.seen.add(s, seq, time);
    this.analytics.onTradeOf(s, price, size, time, seq);
    return this.watermark.observe(time);
  }

  async flush(): Promise<void> {
    this.analytics.drain(this.out);
    const { candles, alerts } = this.out;
    if (candles.length > 0) {
      await this.opts.bus.send(
        TOPICS.candles,
        candles.map((c) => ({ key: c.symbol, value: encodeCandle(c) })),
      );
    }
    if (alerts.length > 0) {
      await this.opts.bus.send(
        TOPICS.alerts,
        alerts.map((a) => ({ key: a.symbol, value: encodeAlert(a) })),
      );
    }
    candles.length = 0;
    alerts.length = 0;
  }

  holdsOutput(): boolean {
    return this.analytics.hasPendingOutput;
  }

  snapshot(): Uint8Array {
    const wm = new Uint8Array(8);
    new DataView(wm.buffer).setFloat64(0, this.watermark.maxEventTime);
    return encodeSections({
      analytics: this.analytics.snapshot(),
      watermark: wm,
      seen: this.seen.snapshot(),
    });
  }

  finish(): void {
    this.watermark.close();
    this.analytics.advanceWatermark(Number.POSITIVE_INFINITY as EventTimeMs);
  }
}

export const analyticsProcessor = (opts: AnalyticsProcessorOptions): ProcessorSpec => ({
  name: 'analytics',
  topic: TOPICS.trades,
  stateful: true,
  createTask: (_partition, restored) => new AnalyticsTask(opts, restored),
});
