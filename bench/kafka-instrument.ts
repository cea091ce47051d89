// Wall-time accounting around the runtime's calls into the bus and the store, without touching src/:
// a delegating Bus and Store that time each call. With it the throughput bench can say how long the
// processor loop waited for batches (fetch round trips), sent outputs, wrote checkpoints and committed.
import type { Bus, ConsumeOptions, Consumer, ProduceRecord, RecordBatch } from '../src/bus/port.ts';
import type { PartitionTask, ProcessorSpec } from '../src/engine/processor.ts';
import type { Checkpoint, Store } from '../src/store/port.ts';

export class Timings {
  readonly totals = new Map<string, { calls: number; ms: number }>();

  add(what: string, ms: number): void {
    const t = this.totals.get(what);
    if (t === undefined) this.totals.set(what, { calls: 1, ms });
    else {
      t.calls++;
      t.ms += ms;
    }
  }

  async time<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(what, performance.now() - t0);
    }
  }

  lines(): string[] {
    return [...this.totals].map(
      ([k, v]) => `${k}: ${v.calls} calls, ${v.ms.toFixed(0)} ms (${(v.ms / v.calls).toFixed(2)} ms each)`,
    );
  }
}

/** The bus with sends and consumer pulls/commits timed. */
export const timedBus = (inner: Bus, t: Timings): Bus => ({
  ensureTopic: (topic, partitions) => inner.ensureTopic(topic, partitions),
  partitionCount: (topic) => inner.partitionCount(topic),
  send: (topic: string, records: readonly ProduceRecord[]) =>
    t.time(`send ${topic}`, () => inner.send(topic, records)),
  consumer: (options: ConsumeOptions): Consumer => {
    const c = inner.consumer(options);
    return {
      batches: () => ({
        [Symbol.asyncIterator]: (): AsyncIterator<RecordBatch> => {
          const it = c.batches()[Symbol.asyncIterator]();
          return {
            next: () => t.time('consumer pull (wait for a batch)', () => it.next()),
            return: () => it.return?.() ?? Promise.resolve({ done: true, value: undefined }),
          };
        },
      }),
      commit: (topic, partition, offset) => t.time('commit', () => c.commit(topic, partition, offset)),
      assignment: () => c.assignment(),
      close: () => c.close(),
    };
  },
  endOffsets: (topic) => inner.endOffsets(topic),
  committedOffsets: (group, topic) => inner.committedOffsets(group, topic),
  close: () => inner.close(),
});

/** The store with checkpoint reads and writes timed; everything else passes through. */
export const timedStore = (inner: Store, t: Timings): Store =>
  new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'saveCheckpoint')
        return (cp: Checkpoint) => t.time('saveCheckpoint', () => target.saveCheckpoint(cp));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

/** The processor with each task's process (decode + analytics), flush (outputs) and snapshot timed. */
export const timedSpec = (spec: ProcessorSpec, t: Timings): ProcessorSpec => ({
  ...spec,
  createTask: (partition, restored): PartitionTask => {
    const task = spec.createTask(partition, restored);
    return {
      process: (records, ctx) => {
        const t0 = performance.now();
        task.process(records, ctx);
        t.add('task.process (decode, validate, analytics)', performance.now() - t0);
      },
      flush: () => t.time('task.flush (drain, encode, send outputs)', () => task.flush()),
      snapshot: () => {
        const t0 = performance.now();
        const s = task.snapshot();
        t.add('task.snapshot', performance.now() - t0);
        return s;
      },
      ...(task.holdsOutput ? { holdsOutput: () => task.holdsOutput?.() ?? false } : {}),
      ...(task.finish ? { finish: () => task.finish?.() } : {}),
      ...(task.close ? { close: () => task.close?.() } : {}),
    };
  },
});
