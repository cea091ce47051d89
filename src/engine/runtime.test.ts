// The runtime's scheduling guarantees, on the in-process bus with a task that records what it sees:
// outputs are written without holding up processing, one write at a time per partition, and a
// partition's checkpoint is saved only after a write that holds every record before its offset ended,
// and committed only after it was saved.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryBus } from '../bus/memory/index.ts';
import type { Bus, BusRecord, ConsumeOptions, Consumer } from '../bus/port.ts';
import { TickstreamError } from '../domain/errors.ts';
import type { Checkpoint, Store } from '../store/port.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { EngineMetrics } from './metrics.ts';
import type { PartitionTask, ProcessorSpec } from './processor.ts';
import { ProcessorRuntime } from './runtime.ts';

const TOPIC = 'in';
const PARTITIONS = 3;
const HOUR = 3_600_000;

type Event =
  | { kind: 'write-start'; partition: number; upTo: number }
  | { kind: 'write-end'; partition: number; upTo: number }
  | { kind: 'snapshot'; partition: number; at: number }
  | { kind: 'save'; partition: number; at: number }
  | { kind: 'saved'; partition: number; at: number }
  | { kind: 'commit'; partition: number; at: number };

/** A gate the test opens to let pending writes finish. */
class Gate {
  private open = true;
  private waiters: (() => void)[] = [];
  close(): void {
    this.open = false;
  }
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
  pass(): Promise<void> {
    return this.open ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

class RecordingTask implements PartitionTask {
  /** Next offset after the last record processed. */
  upTo = 0;
  writing = false;
  overlapped = false;
  private readonly partition: number;
  private readonly events: Event[];
  private readonly gate: Gate;
  constructor(partition: number, events: Event[], gate: Gate) {
    this.partition = partition;
    this.events = events;
    this.gate = gate;
  }
  process(records: readonly BusRecord[]): void {
    for (const r of records) {
      assert.equal(r.offset, this.upTo, 'records arrive in offset order, none skipped or repeated');
      this.upTo = r.offset + 1;
    }
  }
  async flush(): Promise<void> {
    if (this.writing) this.overlapped = true;
    this.writing = true;
    const upTo = this.upTo; // what this write holds: everything processed before the call
    this.events.push({ kind: 'write-start', partition: this.partition, upTo });
    await this.gate.pass();
    await new Promise((r) => setImmediate(r));
    this.events.push({ kind: 'write-end', partition: this.partition, upTo });
    this.writing = false;
  }
  snapshot(): Uint8Array {
    this.events.push({ kind: 'snapshot', partition: this.partition, at: this.upTo });
    return Uint8Array.of(this.upTo & 0xff);
  }
}

/**
 * Holds its output back after new records (as rate-limited provisional bars are) and lets it out only in
 * a flush with no new record since the previous flush.
 */
class HoldingTask extends RecordingTask {
  held = false;
  releasedAt = -1;
  private lastFlushUpTo = -1;
  override process(records: readonly BusRecord[]): void {
    super.process(records);
    this.held = true;
  }
  override async flush(): Promise<void> {
    const idle = this.upTo === this.lastFlushUpTo;
    this.lastFlushUpTo = this.upTo;
    if (idle && this.held) {
      this.held = false;
      this.releasedAt = this.upTo;
    }
    await super.flush();
  }
  holdsOutput(): boolean {
    return this.held;
  }
}

/**
 * The store, with its checkpoint saves recorded, made to last at least `saveDelayMs`, and refused as
 * unavailable (retryable) while `outage.until` (performance.now() ms) is ahead.
 */
const recordingStore = (inner: Store, events: Event[], saveDelayMs = 0, outage = { until: 0 }): Store =>
  new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'saveCheckpoint')
        return async (cp: Checkpoint) => {
          const at = cp.offsets[TOPIC] ?? -1;
          if (performance.now() < outage.until)
            throw new TickstreamError('STORE_UNAVAILABLE', 'store down (test outage)', { retryable: true });
          events.push({ kind: 'save', partition: cp.partition, at });
          if (saveDelayMs > 0) await new Promise((r) => setTimeout(r, saveDelayMs));
          await target.saveCheckpoint(cp);
          events.push({ kind: 'saved', partition: cp.partition, at });
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

const recordingBus = (inner: Bus, events: Event[]): Bus =>
  new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'consumer')
        return (options: ConsumeOptions): Consumer => {
          const c = target.consumer(options);
          return {
            batches: () => c.batches(),
            commit: async (topic, partition, offset) => {
              events.push({ kind: 'commit', partition, at: offset });
              await c.commit(topic, partition, offset);
            },
            assignment: () => c.assignment(),
            close: () => c.close(),
          };
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

const waitFor = async (what: string, fn: () => boolean): Promise<void> => {
  for (let i = 0; i < 2000; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
};

/** Every save is preceded by the end of a write of its partition holding all records before it; every
 * commit by the save of the same offset; commits of a partition never go backwards. */
const checkOrder = (events: Event[]): void => {
  const written = new Map<number, number>();
  const saved = new Map<number, number>();
  const committed = new Map<number, number>();
  for (const e of events) {
    if (e.kind === 'write-end') written.set(e.partition, Math.max(written.get(e.partition) ?? 0, e.upTo));
    else if (e.kind === 'save') {
      assert.ok(
        (written.get(e.partition) ?? 0) >= e.at,
        `p${e.partition}: checkpoint @${e.at} before its outputs`,
      );
      saved.set(e.partition, e.at);
    } else if (e.kind === 'commit') {
      assert.ok(
        (saved.get(e.partition) ?? -1) >= e.at,
        `p${e.partition}: commit @${e.at} before its checkpoint`,
      );
      assert.ok((committed.get(e.partition) ?? 0) <= e.at, `p${e.partition}: commit went back to ${e.at}`);
      committed.set(e.partition, e.at);
    }
  }
};

describe('processor runtime scheduling', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const setup = async (opts: {
    emitIntervalMs: number;
    checkpointIntervalMs: number;
    emitWhenCaughtUp: boolean;
    holding?: boolean;
    saveDelayMs?: number;
  }) => {
    const outage = { until: 0 };
    const dir = mkdtempSync(join(tmpdir(), 'ts-runtime-'));
    dirs.push(dir);
    const events: Event[] = [];
    const gate = new Gate();
    const tasks = new Map<number, RecordingTask>();
    const inner = new MemoryBus();
    await inner.ensureTopic(TOPIC, PARTITIONS);
    const sqlite = SqliteStore.open(dir);
    await sqlite.migrate();
    const spec: ProcessorSpec = {
      name: 'rec',
      topic: TOPIC,
      stateful: true,
      createTask: (p) => {
        const t = opts.holding ? new HoldingTask(p, events, gate) : new RecordingTask(p, events, gate);
        tasks.set(p, t);
        return t;
      },
    };
    const runtime = new ProcessorRuntime(spec, {
      bus: recordingBus(inner, events),
      store: recordingStore(sqlite, events, opts.saveDelayMs, outage),
      metrics: new EngineMetrics(),
      maxBatch: 50,
      emitIntervalMs: opts.emitIntervalMs,
      checkpointIntervalMs: opts.checkpointIntervalMs,
      emitWhenCaughtUp: opts.emitWhenCaughtUp,
    });
    const send = (n: number, from: number) =>
      inner.send(
        TOPIC,
        Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 17}`, value: Uint8Array.of(i & 0xff) })),
      );
    const processed = () => [...tasks.values()].reduce((a, t) => a + t.upTo, 0);
    /** Waits until `sent` records were processed, stops, checks the events' order and the commits, closes. */
    const stopAndCheck = async (sent: number): Promise<void> => {
      await waitFor('all records processed', () => processed() === sent);
      await runtime.stop();
      checkOrder(events);
      const committed = await inner.committedOffsets('rec', TOPIC);
      assert.equal(
        committed.reduce((a, b) => a + b, 0),
        sent,
      );
      await inner.close();
      await sqlite.close();
    };
    return { events, gate, tasks, inner, sqlite, runtime, send, processed, stopAndCheck, outage };
  };

  it('writes outputs once caught up without waiting for emitIntervalMs, and keeps processing while a write is pending', async () => {
    const s = await setup({ emitIntervalMs: HOUR, checkpointIntervalMs: HOUR, emitWhenCaughtUp: true });
    s.runtime.start();
    await s.send(30, 0);
    // Only the caught-up path can start a write here: the emit and checkpoint intervals are an hour.
    await waitFor('a write once caught up', () => s.events.some((e) => e.kind === 'write-start'));
    // Hold every write; records sent meanwhile are still processed.
    s.gate.close();
    await s.send(200, 30);
    await waitFor('all records processed while writes are held', () => s.processed() === 230);
    for (const t of s.tasks.values()) assert.equal(t.overlapped, false, 'one write at a time per partition');
    s.gate.release();
    await s.runtime.flush();
    checkOrder(s.events);
    // The checkpoints hold every record, and every partition's last write covers them.
    for (const [p, t] of s.tasks) {
      const cp = await s.sqlite.loadCheckpoint('rec', p);
      assert.equal(cp?.offsets[TOPIC], t.upTo);
      const ends = s.events.flatMap((e) => (e.kind === 'write-end' && e.partition === p ? [e.upTo] : []));
      assert.equal(ends.at(-1), t.upTo);
    }
    assert.deepEqual(
      (await s.inner.committedOffsets('rec', TOPIC)).reduce((a, b) => a + b, 0),
      230,
    );
    await s.runtime.stop();
    await s.inner.close();
    await s.sqlite.close();
  });

  it('keeps outputs before checkpoint before commit with frequent staggered checkpoints and slow writes', async () => {
    const s = await setup({ emitIntervalMs: 0, checkpointIntervalMs: 16, emitWhenCaughtUp: true });
    s.runtime.start();
    let sent = 0;
    for (let round = 0; round < 20; round++) {
      if (round % 3 === 0) s.gate.close();
      await s.send(37, sent);
      sent += 37;
      await new Promise((r) => setTimeout(r, 7));
      if (round % 3 === 2) s.gate.release();
    }
    s.gate.release();
    await s.stopAndCheck(sent);
    assert.ok(s.events.some((e) => e.kind === 'save'));
    for (const t of s.tasks.values()) assert.equal(t.overlapped, false, 'one write at a time per partition');
  });

  it('saves slower than the interval: at most one snapshot per partition waits, and checkpoints space out by their cost', async () => {
    const SAVE_MS = 40;
    const INTERVAL_MS = 4;
    const s = await setup({
      emitIntervalMs: 0,
      checkpointIntervalMs: INTERVAL_MS,
      emitWhenCaughtUp: true,
      saveDelayMs: SAVE_MS,
    });
    s.runtime.start();
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < 1200) {
      await s.send(10, sent);
      sent += 10;
      await new Promise((r) => setTimeout(r, 10));
    }
    const events = [...s.events];
    const elapsed = performance.now() - t0;
    for (let p = 0; p < PARTITIONS; p++) {
      let waiting = 0;
      let most = 0;
      let saves = 0;
      for (const e of events) {
        if (e.partition !== p) continue;
        if (e.kind === 'snapshot') most = Math.max(most, ++waiting);
        else if (e.kind === 'saved') waiting--;
        else if (e.kind === 'save') saves++;
      }
      assert.ok(most <= 1, `p${p}: ${most} snapshots waiting for their save at once`);
      assert.ok(saves >= 1, `p${p}: checkpointed while the input flowed`);
      // Each save lasts >= SAVE_MS, so the next checkpoint starts >= 9 x SAVE_MS after the one before
      // (a bound that holds however slow the machine: it can only space them out further).
      const bound = 1 + Math.floor(elapsed / (9 * SAVE_MS));
      assert.ok(saves <= bound, `p${p}: ${saves} saves in ${elapsed.toFixed(0)} ms, at most ${bound}`);
    }
    await s.stopAndCheck(sent);
  });

  it('a store outage is not counted as a checkpoint cost: checkpoints go on at the interval once it ends', async () => {
    const s = await setup({ emitIntervalMs: 0, checkpointIntervalMs: 20, emitWhenCaughtUp: true });
    s.runtime.start();
    let sent = 0;
    let sending = true;
    const feeding = (async () => {
      while (sending) {
        await s.send(10, sent);
        sent += 10;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await waitFor('first checkpoints', () => s.events.some((e) => e.kind === 'saved'));
      // 1.5 s of refused saves: each partition's checkpoint in flight retries through it (~3 s with the
      // backoff). Counted as its cost, the next would wait 9x that, ~25 s, past waitFor's 10 s.
      s.outage.until = performance.now() + 1500;
      await waitFor('the outage over', () => performance.now() > s.outage.until);
      const savedAt = (p: number) => s.events.filter((e) => e.kind === 'saved' && e.partition === p).length;
      const after = Array.from({ length: PARTITIONS }, (_, p) => savedAt(p));
      await waitFor('three more checkpoints of every partition after the outage', () =>
        after.every((n, p) => savedAt(p) >= n + 3),
      );
    } catch (e) {
      await s.runtime.stop().catch(() => undefined); // a failure must not leave the runtime running
      throw e;
    } finally {
      sending = false;
      await feeding;
    }
    await s.stopAndCheck(sent);
  });

  it('without emitWhenCaughtUp and with long intervals, outputs wait for the checkpoint (flush)', async () => {
    const s = await setup({ emitIntervalMs: HOUR, checkpointIntervalMs: HOUR, emitWhenCaughtUp: false });
    s.runtime.start();
    await s.send(40, 0);
    await waitFor('records processed', () => s.processed() === 40);
    // Batches of one partition that are not cut at maxBatch would count as caught up: with the policy
    // off, nothing has been written yet.
    assert.equal(s.events.filter((e) => e.kind === 'write-start').length, 0);
    await s.runtime.flush();
    checkOrder(s.events);
    assert.ok(s.events.some((e) => e.kind === 'write-end'));
    await s.runtime.stop();
    await s.inner.close();
    await s.sqlite.close();
  });

  it('flushes and checkpoints a partition again while its task holds output back, until it is let out', async () => {
    // Only checkpoints flush here (no caught-up writes, an hour between emits): the first checkpoint
    // after the input stops is the first flush since the last records, and the task holds its output.
    const s = await setup({
      emitIntervalMs: HOUR,
      checkpointIntervalMs: 20,
      emitWhenCaughtUp: false,
      holding: true,
    });
    s.runtime.start();
    await s.send(40, 0);
    const tasks = () => [...s.tasks.values()] as HoldingTask[];
    await waitFor('all records processed', () => s.processed() === 40);
    await waitFor('every task lets its held output out', () => tasks().every((t) => !t.held));
    for (const t of tasks())
      if (t.upTo > 0) assert.equal(t.releasedAt, t.upTo, 'released at the end of its input');
    // and then the partitions are clean: no more checkpoints
    await new Promise((r) => setTimeout(r, 150));
    const saves = s.events.filter((e) => e.kind === 'save').length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.events.filter((e) => e.kind === 'save').length, saves);
    checkOrder(s.events);
    await s.runtime.stop();
    await s.sqlite.close();
  });
});
