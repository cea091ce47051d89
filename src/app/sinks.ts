// Store sinks: stateless consumers of derived topics that upsert into the store. They commit their
// offsets only after the store acknowledged the write, so a crash re-writes (idempotently), never loses.
import type { BusRecord } from '../bus/port.ts';
import {
  decodeAlert,
  decodeCandle,
  decodeDeadletter,
  decodeKnownFill,
  decodeKnownTrade,
  decodePortfolioValue,
  decodePosition,
  SCHEMA_IDS,
  schemaIdOf,
} from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Alert, Candle, Deadletter, Fill, PortfolioValue, Position, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { Verdict } from '../domain/validate.ts';
import type { PartitionTask, ProcessorSpec, TaskContext } from '../engine/processor.ts';
import type { FirmStatRow, Store } from '../store/port.ts';

/** A sink that decodes records of one kind, keeps the last value per key within a flush, and upserts. */
class UpsertSink<T> implements PartitionTask {
  private pending = new Map<string, T>();
  private readonly decode: (b: Uint8Array) => Verdict<T>;
  private readonly keyOf: (v: T) => string;
  private readonly write: (rows: T[]) => Promise<void>;
  private readonly quiet: boolean;

  constructor(
    decode: (b: Uint8Array) => Verdict<T>,
    keyOf: (v: T) => string,
    write: (rows: T[]) => Promise<void>,
    quiet = false,
  ) {
    this.decode = decode;
    this.keyOf = keyOf;
    this.write = write;
    this.quiet = quiet;
  }

  process(records: readonly BusRecord[], ctx: TaskContext): void {
    for (const r of records) {
      const v = this.decode(r.value);
      if (v.ok) {
        const k = this.keyOf(v.value);
        this.pending.delete(k); // keep arrival order of the last write per key
        this.pending.set(k, v.value);
      } else if (!this.quiet) ctx.deadletter(r, v.reason, v.detail);
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    // Take what is pending now: records keep arriving while the write is in flight (the runtime does
    // not wait for it), and they belong to the next write.
    const taken = this.pending;
    this.pending = new Map();
    try {
      await this.write([...taken.values()]);
    } catch (e) {
      // Not written: put it back under what arrived since (newer values win), for the retry.
      for (const [k, v] of this.pending) {
        taken.delete(k);
        taken.set(k, v);
      }
      this.pending = taken;
      throw e;
    }
  }

  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
}

const sink = (name: string, topic: string, createTask: () => PartitionTask): ProcessorSpec => ({
  name: `sink-${name}`,
  topic,
  stateful: false,
  createTask,
});

export interface SinkOptions {
  store: Store;
  universe: Universe;
  /** Write the raw tape (every valid trade) to the store. */
  tape: boolean;
}

/** portfolio-updates carries positions and values; the schema id in the header tells which. */
class PortfolioUpdatesSink implements PartitionTask {
  private readonly positions = new UpsertSink<Position>(
    decodePosition,
    (p) => `${p.user}:${p.symbol}`,
    (rows) => this.store.upsertPositions(rows),
  );
  private readonly values = new UpsertSink<PortfolioValue>(
    decodePortfolioValue,
    (v) => `${v.user}:${v.time}`,
    (rows) => this.store.upsertPortfolioValues(rows),
  );
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }
  process(records: readonly BusRecord[], ctx: TaskContext): void {
    for (const r of records) {
      const id = schemaIdOf(r.value);
      if (id === SCHEMA_IDS.PortfolioValue) this.values.process([r], ctx);
      else this.positions.process([r], ctx);
    }
  }
  async flush(): Promise<void> {
    await this.positions.flush();
    await this.values.flush();
  }
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
}

const td = new TextDecoder();
const decodeFirm = (b: Uint8Array): Verdict<FirmStatRow> => {
  try {
    const v = JSON.parse(td.decode(b)) as FirmStatRow;
    if (typeof v.day !== 'string' || typeof v.bucket !== 'number' || typeof v.stats !== 'object') {
      return { ok: false, reason: 'unknown_shape', detail: 'not a firm statistics row' };
    }
    return { ok: true, value: v };
  } catch (e) {
    return { ok: false, reason: 'decode_error', detail: (e as Error).message };
  }
};

export const FIRM_TOPIC = 'firm-stats';

export const storeSinks = ({ store, universe, tape }: SinkOptions): ProcessorSpec[] => {
  const specs: ProcessorSpec[] = [
    sink(
      'candles',
      TOPICS.candles,
      () =>
        new UpsertSink<Candle>(
          decodeCandle,
          (c) => `${c.symbol}:${c.intervalMs}:${c.start}`,
          (rows) => store.upsertCandles(rows),
        ),
    ),
    sink(
      'alerts',
      TOPICS.alerts,
      () =>
        new UpsertSink<Alert>(
          decodeAlert,
          (a) => a.id,
          (r) => store.upsertAlerts(r),
        ),
    ),
    sink('portfolio', TOPICS.portfolioUpdates, () => new PortfolioUpdatesSink(store)),
    sink(
      'firm',
      FIRM_TOPIC,
      () =>
        new UpsertSink<FirmStatRow>(
          decodeFirm,
          (r) => `${r.day}:${r.bucket}:${r.shard ?? 0}`,
          (rows) => store.upsertFirmStats(rows),
        ),
    ),
    // Invalid trades and fills are the processors' to deadletter; the tape and fill sinks skip them quietly.
    sink(
      'fills',
      TOPICS.fills,
      () =>
        new UpsertSink<Fill>(
          (b) => decodeKnownFill(b, universe),
          (f) => f.fillId,
          (rows) => store.upsertFills(rows),
          true,
        ),
    ),
    sink(
      'deadletter',
      TOPICS.deadletter,
      () =>
        new UpsertSink<Deadletter>(
          decodeDeadletter,
          (d) => `${d.sourceTopic}:${d.partition}:${d.offset}`,
          (rows) => store.insertDeadletters(rows),
          true,
        ),
    ),
  ];
  if (tape) {
    specs.push(
      sink(
        'tape',
        TOPICS.trades,
        () =>
          new UpsertSink<Trade>(
            (b) => decodeKnownTrade(b, universe),
            (t) => `${t.symbol}:${t.time}:${t.seq}`,
            (rows) => store.upsertTrades(rows),
            true,
          ),
      ),
    );
  }
  return specs;
};
