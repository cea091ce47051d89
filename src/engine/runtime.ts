// The processor runtime: consumes the input topic as a member of a consumer group, owns one task per
// assigned partition, and on every flush writes outputs, then checkpoints state + offsets in one store
// write, then commits the offsets to the bus. A crash anywhere in that sequence replays from the last
// checkpoint and rewrites the same rows (outputs are idempotent upserts): effectively exactly-once.
import type { Bus, BusRecord, Consumer, TopicPartition } from '../bus/port.ts';
import { tpKey } from '../bus/port.ts';
import { encodeDeadletter } from '../domain/codec.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Deadletter, DeadletterReason, ProcTimeMs } from '../domain/types.ts';
import type { Store } from '../store/port.ts';
import type { EngineMetrics } from './metrics.ts';
import type { PartitionTask, ProcessorSpec, TaskContext } from './processor.ts';
import { withRetry } from './retry.ts';

export interface RuntimeOptions {
  bus: Bus;
  store: Store;
  metrics: EngineMetrics;
  maxBatch?: number;
  /** How often dirty partitions are flushed and checkpointed. */
  checkpointIntervalMs?: number;
  /**
   * How often a partition's outputs are written between checkpoints (0: after every batch). Writing
   * outputs early is safe: a replay from the last checkpoint rewrites the same rows.
   */
  emitIntervalMs?: number;
  log?: (msg: string) => void;
}

interface Owned {
  task: PartitionTask;
  /** Next offset to read (what a checkpoint stores). */
  position: number;
  /** Position at the last checkpoint/commit. */
  committed: number;
  /** Position up to which outputs were handed to the sink, and when. */
  emitted: number;
  emittedAt: number;
  /**
   * The write of the last outputs, not awaited on the processing path (one in flight per partition, so
   * outputs stay in order); the next emit and every checkpoint wait for it.
   */
  inflight: Promise<void>;
  deadletters: Deadletter[];
}

export class ProcessorRuntime {
  readonly spec: ProcessorSpec;
  private readonly opts: Required<Omit<RuntimeOptions, 'log'>> & { log: (msg: string) => void };
  private readonly owned = new Map<number, Owned>();
  private consumer: Consumer | undefined;
  private loop: Promise<void> | undefined;
  private lock: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private failure: unknown;
  private readonly labels: { processor: string; topic: string };

  constructor(spec: ProcessorSpec, opts: RuntimeOptions) {
    this.spec = spec;
    this.opts = {
      maxBatch: 5000,
      checkpointIntervalMs: 1000,
      emitIntervalMs: 100,
      log: () => {},
      ...opts,
    };
    this.labels = { processor: spec.name, topic: spec.topic };
  }

  get group(): string {
    return this.spec.group ?? this.spec.name;
  }

  /** Partitions owned now, with their positions. */
  positions(): Map<number, number> {
    return new Map([...this.owned].map(([p, o]) => [p, o.position]));
  }

  /** The error that stopped the loop, if any. */
  get error(): unknown {
    return this.failure;
  }

  start(): void {
    if (this.consumer !== undefined) return;
    this.consumer = this.opts.bus.consumer({
      group: this.group,
      topics: [this.spec.topic],
      reset: 'earliest',
      maxBatch: this.opts.maxBatch,
      onAssign: (tps) => this.serial(() => this.assign(tps)),
      onRevoke: (tps) => this.serial(() => this.revoke(tps)),
    });
    this.loop = this.run(this.consumer);
    this.timer = setInterval(() => {
      void this.serial(() => this.flushAll()).catch((e) => this.fail(e));
    }, this.opts.checkpointIntervalMs);
    this.timer.unref();
  }

  private async run(consumer: Consumer): Promise<void> {
    try {
      const every = this.opts.emitIntervalMs;
      for await (const batch of consumer.batches()) {
        await this.serial(async () => {
          this.apply(batch.partition, batch.records);
          const o = this.owned.get(batch.partition);
          if (o !== undefined && performance.now() - o.emittedAt >= every) await this.emitOne(o, false);
        });
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (this.failure === undefined && !this.abort.signal.aborted) {
      this.failure = e;
      this.opts.log(`${this.spec.name}: stopped on error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Runs fn after everything queued before it (processing, flushes, rebalances never interleave). */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.lock.then(fn);
    this.lock = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private apply(partition: number, records: readonly BusRecord[]): void {
    const o = this.owned.get(partition);
    if (o === undefined || records.length === 0) return; // revoked meanwhile
    const first = records[0] as BusRecord;
    // A restored checkpoint may be ahead of what the bus hands out first: skip what was applied.
    let from = 0;
    if (first.offset < o.position) {
      while (from < records.length && (records[from] as BusRecord).offset < o.position) from++;
      if (from === records.length) return;
    }
    const slice = from === 0 ? records : records.slice(from);
    const t0 = performance.now();
    let dl = 0;
    const ctx: TaskContext = {
      deadletter: (record: BusRecord, reason: DeadletterReason, detail: string) => {
        dl++;
        o.deadletters.push({
          sourceTopic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason,
          detail: detail.slice(0, 500),
          payload: record.value,
          time: Date.now() as ProcTimeMs,
        });
        this.opts.metrics.recordsDeadlettered.inc({ ...this.labels, reason });
      },
    };
    o.task.process(slice, ctx);
    const last = slice[slice.length - 1] as BusRecord;
    o.position = last.offset + 1;
    const m = this.opts.metrics;
    m.recordsIn.inc(this.labels, slice.length);
    m.recordsProcessed.inc(this.labels, slice.length - dl);
    m.batchLatency.observe(this.labels, (performance.now() - t0) / 1000);
    m.eventLatency.observe(this.labels, Math.max(0, Date.now() - last.timestamp) / 1000);
  }

  private async assign(tps: TopicPartition[]): Promise<Map<string, number> | undefined> {
    const start = new Map<string, number>();
    for (const { topic, partition } of tps) {
      if (topic !== this.spec.topic) continue;
      let restored: Uint8Array | undefined;
      let position = -1;
      if (this.spec.stateful) {
        const cp = await withRetry(() => this.opts.store.loadCheckpoint(this.spec.name, partition), {
          signal: this.abort.signal,
          onRetry: () => this.opts.metrics.retries.inc(this.labels),
        });
        if (cp !== undefined) {
          restored = cp.state;
          position = cp.offsets[topic] ?? -1;
          start.set(tpKey(topic, partition), position);
        }
      }
      this.owned.set(partition, {
        task: this.spec.createTask(partition, restored),
        position: Math.max(position, 0),
        committed: Math.max(position, 0),
        emitted: Math.max(position, 0),
        emittedAt: performance.now(),
        inflight: Promise.resolve(),
        deadletters: [],
      });
      this.opts.log(
        `${this.spec.name}: assigned ${topic}[${partition}]${position >= 0 ? ` from checkpoint @${position}` : ''}`,
      );
    }
    return this.spec.stateful ? start : undefined;
  }

  private async revoke(tps: TopicPartition[]): Promise<void> {
    for (const { topic, partition } of tps) {
      if (topic !== this.spec.topic) continue;
      const o = this.owned.get(partition);
      if (o === undefined) continue;
      try {
        await this.flushOne(partition, o);
      } finally {
        o.task.close?.();
        this.owned.delete(partition);
      }
    }
  }

  /**
   * Every partition's outputs are started together, then checkpointed one by one, then the offsets
   * committed together: the round trips overlap instead of queueing one behind another.
   */
  private async flushAll(): Promise<void> {
    const due = [...this.owned].filter(([, o]) => o.position !== o.committed || o.deadletters.length > 0);
    for (const [, o] of due) await this.emitOne(o, o.committed === -1);
    const commits: Promise<void>[] = [];
    for (const [p, o] of due) commits.push((await this.flushOne(p, o, false)).commit);
    await Promise.all(commits);
    void this.updateLag();
  }

  private get retry() {
    return { signal: this.abort.signal, onRetry: () => this.opts.metrics.retries.inc(this.labels) };
  }

  /**
   * Starts writing the task's outputs and the deadletters gathered so far (no checkpoint), after the
   * previous write of this partition finished. Returns the write; the processing path does not wait for
   * it, a checkpoint does.
   */
  private async emitOne(o: Owned, force: boolean): Promise<void> {
    o.emittedAt = performance.now();
    await o.inflight; // one write in flight per partition: the task's output buffers are not shared
    if (!force && o.position === o.emitted && o.deadletters.length === 0) return;
    o.emitted = o.position;
    const dls = o.deadletters;
    o.deadletters = [];
    const write = (async () => {
      await withRetry(() => o.task.flush(), this.retry);
      if (dls.length > 0) {
        const records = dls.map((d) => ({ key: d.sourceTopic, value: encodeDeadletter(d) }));
        await withRetry(() => this.opts.bus.send(TOPICS.deadletter, records), this.retry);
      }
    })();
    o.inflight = write.catch((e) => this.fail(e));
  }

  /**
   * Outputs, then state + offsets in one store write, then the bus commit (awaited here, or returned
   * for the caller to await with others when `awaitCommit` is false).
   */
  private async flushOne(
    partition: number,
    o: Owned,
    awaitCommit = true,
  ): Promise<{ commit: Promise<void> }> {
    if (o.position === o.committed && o.deadletters.length === 0) return { commit: Promise.resolve() };
    const t0 = performance.now();
    const retry = this.retry;
    await this.emitOne(o, o.committed === -1);
    await o.inflight;
    if (this.failure !== undefined) throw this.failure;
    const position = o.position;
    if (this.spec.stateful) {
      const state = o.task.snapshot();
      await withRetry(
        () =>
          this.opts.store.saveCheckpoint({
            processor: this.spec.name,
            partition,
            offsets: { [this.spec.topic]: position },
            state,
            updatedAt: Date.now(),
          }),
        retry,
      );
      this.opts.metrics.checkpoints.inc(this.labels);
    }
    const consumer = this.consumer;
    const commit = (async () => {
      if (consumer !== undefined)
        await withRetry(() => consumer.commit(this.spec.topic, partition, position), retry);
      this.opts.metrics.flushLatency.observe(this.labels, (performance.now() - t0) / 1000);
    })();
    o.committed = position;
    if (awaitCommit) await commit;
    return { commit };
  }

  private async updateLag(): Promise<void> {
    try {
      const ends = await this.opts.bus.endOffsets(this.spec.topic);
      for (const [p, o] of this.owned) {
        this.opts.metrics.lag.set(
          { ...this.labels, partition: String(p) },
          Math.max(0, (ends[p] ?? 0) - o.position),
        );
      }
    } catch {
      // lag is informational; the next flush tries again
    }
  }

  /** Records not yet processed on owned partitions (end offset − position). */
  async lag(): Promise<number> {
    const ends = await this.opts.bus.endOffsets(this.spec.topic);
    let lag = 0;
    for (const [p, o] of this.owned) lag += Math.max(0, (ends[p] ?? 0) - o.position);
    return lag;
  }

  /** Flushes and checkpoints everything processed so far. */
  flush(): Promise<void> {
    return this.serial(() => this.flushAll());
  }

  /**
   * End of input: waits until every owned partition reached `ends` (or the current log end), closes all
   * windows (final results) and flushes.
   */
  async finish(ends?: readonly number[], pollMs = 20): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const target = ends ?? (await this.opts.bus.endOffsets(this.spec.topic));
      const behind = [...this.owned].some(([p, o]) => o.position < (target[p] ?? 0));
      if (!behind && this.owned.size > 0) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await this.serial(async () => {
      for (const o of this.owned.values()) {
        o.task.finish?.();
        o.position = Math.max(o.position, o.committed); // force a flush even without new records
        o.committed = -1;
      }
      await this.flushAll();
    });
  }

  /** Graceful stop: flush, checkpoint, leave the group (partitions move to the other members). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    const consumer = this.consumer;
    if (consumer === undefined) return;
    await this.serial(() => this.flushAll()).catch((e) => this.fail(e));
    this.abort.abort();
    await consumer.close();
    await this.loop;
    this.consumer = undefined;
  }
}
