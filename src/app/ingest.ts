// The source edge: trades and fills from a simulator, a tape or a feed go onto the bus as binary
// records keyed as the architecture says; what a source rejected goes to deadletter with its reason.
import type { Bus } from '../bus/port.ts';
import { encodeDeadletter, encodeFill, encodeTrade } from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { DeadletterReason, Fill, ProcTimeMs, Trade } from '../domain/types.ts';
import type { EngineMetrics } from '../engine/metrics.ts';

export interface SourceReject {
  /** Line number (files) or message number (feeds), used as the deadletter offset. */
  line: number;
  raw: string;
  reason: DeadletterReason;
  detail: string;
}

const te = new TextEncoder();

export class Ingest {
  private readonly bus: Bus;
  private readonly metrics: EngineMetrics | undefined;
  constructor(bus: Bus, metrics?: EngineMetrics) {
    this.bus = bus;
    this.metrics = metrics;
  }

  async trades(trades: readonly Trade[]): Promise<void> {
    if (trades.length === 0) return;
    await this.bus.send(
      TOPICS.trades,
      trades.map((t) => ({ key: t.symbol, value: encodeTrade(t) })),
    );
    this.metrics?.recordsProduced.inc({ topic: TOPICS.trades }, trades.length);
  }

  async fills(fills: readonly Fill[]): Promise<void> {
    if (fills.length === 0) return;
    await this.bus.send(
      TOPICS.fills,
      fills.map((f) => ({ key: String(f.user), value: encodeFill(f) })),
    );
    this.metrics?.recordsProduced.inc({ topic: TOPICS.fills }, fills.length);
  }

  /** Rejected input from a file or feed: kept whole in deadletter, with where it came from and why. */
  async rejects(source: string, rejects: readonly SourceReject[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.bus.send(
      TOPICS.deadletter,
      rejects.map((r) => ({
        key: source,
        value: encodeDeadletter({
          sourceTopic: source,
          partition: 0,
          offset: r.line,
          reason: r.reason,
          detail: r.detail.slice(0, 500),
          payload: te.encode(r.raw.slice(0, 65536)),
          time: Date.now() as ProcTimeMs,
        }),
      })),
    );
    for (const r of rejects)
      this.metrics?.recordsDeadlettered.inc({ processor: 'ingest', topic: source, reason: r.reason });
  }
}
