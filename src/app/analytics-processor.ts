// The market analytics processor: trades (keyed by symbol) → candles, indicators, alerts, anomalies.
// Per partition: decode → validate → lateness vs the watermark → duplicates → MarketAnalytics.
// Outputs go to the candles and alerts topics; sinks upsert them into the store.

import type { AnalyticsConfig } from '../analytics/config.ts';
import { MarketAnalytics } from '../analytics/market.ts';
import type { Bus, BusRecord } from '../bus/port.ts';
import { decodeTrade, encodeAlert, encodeCandle } from '../domain/codec.ts';
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
    let moved = false;
    for (const r of records) {
      // decodeTrade's verdict holds every rule of checkTrade; the universe is checked here, by the index
      // lookup the analytics need anyway (see decodeKnownTrade)
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
      if (this.watermark.isLate(t.time)) {
        ctx.deadletter(r, 'late', `event time ${t.time} is older than the watermark ${this.watermark.value}`);
        continue;
      }
      if (this.seen.has(symbolIndex, t.seq)) {
        ctx.deadletter(r, 'duplicate', `trade ${t.symbol} seq ${t.seq} was already applied`);
        continue;
      }
      this.seen.add(symbolIndex, t.seq, t.time);
      this.analytics.onTrade(t, symbolIndex);
      if (this.watermark.observe(t.time)) moved = true;
    }
    if (moved) {
      this.analytics.advanceWatermark(this.watermark.value);
      this.seen.expire(this.watermark.value);
    }
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
