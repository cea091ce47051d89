// The processor runtime: consumes the input topic as a member of a consumer group and owns one task per
// assigned partition. Outputs are written after each batch once a partition has caught up (conflated
// over emitIntervalMs while it works through a backlog), never waited for on the processing path. Each
// partition is checkpointed about every checkpointIntervalMs (staggered; less often when checkpoints
// are costly, see CHECKPOINT_PAUSE_FACTOR): the outputs so far are
// written, then state + offsets saved in one store write, then the offsets committed to the bus. A crash
// anywhere in that sequence replays from the last checkpoint and rewrites the same rows (outputs are
// idempotent upserts): effectively exactly-once.
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
  /** How often each dirty partition is checkpointed (partitions are staggered over the interval). */
  checkpointIntervalMs?: number;
  /**
   * While a partition works through a backlog, its outputs are conflated and written at most this often
   * between checkpoints (0: after every batch). Writing outputs early is safe: a replay from the last
   * checkpoint rewrites the same rows.
   */
  emitIntervalMs?: number;
  /**
   * Once a partition has caught up with its input (live traffic), write its outputs right after each
   * batch instead of waiting for emitIntervalMs (default true). Writes never queue: while one is in
   * flight, the next batches' outputs are conflated into the write that follows it.
   */
  emitWhenCaughtUp?: boolean;
  log?: (msg: string) => void;
}

/**
 * Checkpoints of the owned partitions are spread over this many slots of the checkpoint interval, so
 * the processing loop pauses for one partition's snapshot at a time instead of all of them at once.
 */
const CHECKPOINT_SLOTS = 8;
/**
 * A partition's next checkpoint waits at least this many times the cost of its last one (its snapshot
 * plus the attempts of its save and commit that succeeded: time spent retrying through an outage is
 * not the checkpoint's cost) and never starts while one is still being saved. However large the state
 * grows (a portfolio book of millions of users), a save then runs at most ~1/9 of the time, and at
 * most one snapshot per partition waits in memory; before, saves slower than the interval queued a
 * snapshot per tick. The wait is capped at CHECKPOINT_MAX_PAUSE_MS (or the interval, if longer), which
 * bounds what a crash replays.
 */
const CHECKPOINT_PAUSE_FACTOR = 9;
const CHECKPOINT_MAX_PAUSE_MS = 60_000;
/** Longest stretch of back-to-back batches before the loop lets I/O callbacks run. */
const YIELD_EVERY_MS = 10;

interface Owned {
  readonly partition: number;
  task: PartitionTask;
  /** Next offset to read (what a checkpoint stores). */
  position: number;
  /** Position of the last checkpoint taken (-1 forces the next one, see finish). */
  checkpointed: number;
  checkpointedAt: number;
  /** Position up to which outputs were handed to a write, and when. */
  emitted: number;
  emittedAt: number;
  /**
   * The output write in flight, if any (one per partition, so outputs stay in order and the task's
   * output buffers are not shared). It never rejects: a failure stops the runtime.
   */
  writing: Promise<void> | undefined;
  /** Outputs were produced while a write was in flight: write them as soon as it ends. */
  emitWanted: boolean;
  /** This partition's checkpoint saves and offset commits, in order (never rejects). */
  durable: Promise<void>;
  /** Checkpoints taken and not yet saved and committed. */
  pendingSaves: number;
  /** What the last checkpoint cost: its snapshot plus its save and commit (ms). */
  checkpointCostMs: number;
  deadletters: Deadletter[];
}

const dirty = (o: Owned): boolean =>
  o.position !== o.checkpointed || o.deadletters.length > 0 || o.task.holdsOutput?.() === true;

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
  private lagAt = 0;

  constructor(spec: ProcessorSpec, opts: RuntimeOptions) {
    this.spec = spec;
    this.opts = {
      maxBatch: 5000,
      checkpointIntervalMs: 1000,
      emitIntervalMs: 100,
      emitWhenCaughtUp: true,
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
    const tick = Math.max(1, Math.floor(this.opts.checkpointIntervalMs / CHECKPOINT_SLOTS));
    this.timer = setInterval(() => {
      void this.serial(() => this.checkpointDue()).catch((e) => this.fail(e));
    }, tick);
    this.timer.unref();
  }

  private async run(consumer: Consumer): Promise<void> {
    try {
      const every = this.opts.emitIntervalMs;
      const whenCaughtUp = this.opts.emitWhenCaughtUp;
      const maxBatch = this.opts.maxBatch;
      let yieldedAt = performance.now();
      for await (const batch of consumer.batches()) {
        // Buffered batches come back as resolved promises (microtasks): without a turn of the event loop
        // now and then, the acks of output writes, commits and heartbeats would wait until the consumer's
        // buffers run dry (a second or more while catching up).
        if (performance.now() - yieldedAt > YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          yieldedAt = performance.now();
        }
        // Processing and the emit decision are synchronous: nothing here waits for a write.
        await this.serial(() => {
          this.apply(batch.partition, batch.records);
          const o = this.owned.get(batch.partition);
          if (o === undefined) return;
          // Caught up: the bus says nothing is left behind this batch, or (when it cannot say) the
          // batch was not cut at maxBatch.
          const caughtUp =
            whenCaughtUp && (batch.lag !== undefined ? batch.lag <= 0 : batch.records.length < maxBatch);
          if (caughtUp || performance.now() - o.emittedAt >= every) this.emit(o);
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
      const at = Math.max(position, 0);
      const now = performance.now();
      this.owned.set(partition, {
        partition,
        task: this.spec.createTask(partition, restored),
        position: at,
        checkpointed: at,
        checkpointedAt: now,
        emitted: at,
        emittedAt: now,
        writing: undefined,
        emitWanted: false,
        durable: Promise.resolve(),
        pendingSaves: 0,
        checkpointCostMs: 0,
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
        await this.checkpoint(o);
        await o.durable; // committed before the partition moves to its next owner
        if (this.failure !== undefined) throw this.failure;
      } finally {
        o.task.close?.();
        this.owned.delete(partition);
      }
    }
  }

  /**
   * Timer tick: checkpoints the dirty partitions whose last checkpoint is saved and at least an interval
   * old (and CHECKPOINT_PAUSE_FACTOR times its cost), oldest first, at most a slot's share per tick.
   */
  private async checkpointDue(): Promise<void> {
    const now = performance.now();
    const interval = this.opts.checkpointIntervalMs;
    const due: Owned[] = [];
    for (const o of this.owned.values()) {
      const wait = Math.max(
        interval,
        Math.min(CHECKPOINT_PAUSE_FACTOR * o.checkpointCostMs, CHECKPOINT_MAX_PAUSE_MS),
      );
      if (dirty(o) && o.pendingSaves === 0 && now - o.checkpointedAt >= wait) due.push(o);
    }
    due.sort((a, b) => a.checkpointedAt - b.checkpointedAt);
    const take = Math.ceil(this.owned.size / CHECKPOINT_SLOTS);
    for (const o of due.slice(0, take)) await this.checkpoint(o);
    if (now - this.lagAt >= interval) {
      this.lagAt = now;
      void this.updateLag();
    }
  }

  /** Checkpoints every dirty partition and waits until all of them are saved and committed. */
  private async flushAll(): Promise<void> {
    const due = [...this.owned.values()].filter(dirty);
    for (const o of due) await this.checkpoint(o);
    await Promise.all(due.map((o) => o.durable));
    if (this.failure !== undefined) throw this.failure;
    void this.updateLag();
  }

  private get retry() {
    return { signal: this.abort.signal, onRetry: () => this.opts.metrics.retries.inc(this.labels) };
  }

  /** Writes the partition's new outputs now, or right after the write in flight. Never waits. */
  private emit(o: Owned): void {
    if (o.position === o.emitted && o.deadletters.length === 0) return;
    o.emittedAt = performance.now();
    if (o.writing !== undefined) o.emitWanted = true;
    else this.startWrite(o);
  }

  /**
   * Starts writing the task's outputs and the deadletters gathered so far. The task takes its outputs
   * when flush() is called, so everything processed before this call is in this write. Returns the
   * write, which never rejects (a failure stops the runtime).
   */
  private startWrite(o: Owned): Promise<void> {
    o.emitWanted = false;
    o.emitted = o.position;
    o.emittedAt = performance.now();
    const dls = o.deadletters;
    o.deadletters = [];
    const retry = this.retry;
    const write = (async () => {
      await withRetry(() => o.task.flush(), retry);
      if (dls.length > 0) {
        const records = dls.map((d) => ({ key: d.sourceTopic, value: encodeDeadletter(d) }));
        await withRetry(() => this.opts.bus.send(TOPICS.deadletter, records), retry);
      }
    })();
    const done: Promise<void> = write.then(
      () => {
        if (o.writing === done) o.writing = undefined;
        // Outputs produced while this write was in flight go out now, conflated into one write.
        if (o.emitWanted && this.failure === undefined && this.owned.get(o.partition) === o)
          this.startWrite(o);
      },
      (e: unknown) => {
        if (o.writing === done) o.writing = undefined;
        this.fail(e);
      },
    );
    o.writing = done;
    return done;
  }

  /**
   * Takes a checkpoint of the partition (under the lock): waits for the write in flight, starts the
   * write of everything processed so far and snapshots the state at this position, synchronously
   * together. Saving the checkpoint (state + offsets, one store write) and then committing the offsets
   * happen off the processing path, in order per partition, and only after that write succeeded:
   * outputs before checkpoint before commit.
   */
  private async checkpoint(o: Owned): Promise<void> {
    if (!dirty(o)) return;
    // One write at a time per partition; a write that ends may start the next (emitWanted): wait it too.
    while (o.writing !== undefined) await o.writing;
    if (this.failure !== undefined) throw this.failure;
    const t0 = performance.now();
    const written = this.startWrite(o);
    const position = o.position;
    const snap0 = performance.now();
    const state = this.spec.stateful ? o.task.snapshot() : undefined;
    const snapshotMs = performance.now() - snap0;
    o.checkpointed = position;
    o.checkpointedAt = performance.now();
    const prev = o.durable;
    const retry = this.retry;
    const consumer = this.consumer;
    o.pendingSaves++;
    o.durable = (async () => {
      await prev;
      await written;
      if (this.failure !== undefined) return;
      let saveMs = 0;
      /** Runs one attempt; only an attempt that succeeded adds its duration (failed ones are the outage). */
      const timed = async (attempt: () => Promise<void>): Promise<void> => {
        const a0 = performance.now();
        await attempt();
        saveMs += performance.now() - a0;
      };
      if (state !== undefined) {
        await withRetry(
          () =>
            timed(() =>
              this.opts.store.saveCheckpoint({
                processor: this.spec.name,
                partition: o.partition,
                offsets: { [this.spec.topic]: position },
                state,
                updatedAt: Date.now(),
              }),
            ),
          retry,
        );
        this.opts.metrics.checkpoints.inc(this.labels);
      }
      if (consumer !== undefined)
        await withRetry(() => timed(() => consumer.commit(this.spec.topic, o.partition, position)), retry);
      o.checkpointCostMs = snapshotMs + saveMs;
      this.opts.metrics.flushLatency.observe(this.labels, (performance.now() - t0) / 1000);
    })()
      .catch((e: unknown) => this.fail(e))
      .finally(() => {
        o.pendingSaves--;
      });
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
        o.checkpointed = -1; // force a checkpoint (and the write of the final outputs) without new records
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
