// The Bus contract: what every adapter (in-process, Kafka) must do, as node:test cases. An adapter's
// test file calls `busContract(name, makeBus)`. The same cases run against a real broker, so they use
// fresh topic and group names each, wait for asynchronous delivery by polling with generous deadlines
// (never asserting how long anything takes), and prove "nothing more arrives" with per-partition marker
// records instead of sleeping: a partition delivers in offset order, so once its marker is read, every
// earlier record of that partition has been delivered.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionFor } from '../../src/bus/partitioner.ts';
import type {
  Bus,
  BusRecord,
  ConsumeOptions,
  Consumer,
  RecordBatch,
  TopicPartition,
} from '../../src/bus/port.ts';
import { tpKey } from '../../src/bus/port.ts';
import { TickstreamError } from '../../src/domain/errors.ts';

export interface BusContractOptions {
  /** Multiplies every deadline (a remote broker needs more than an in-process log). */
  slowFactor?: number;
  /** Part of every topic and group name this suite creates (default: process id and start time). */
  runId?: string;
  /**
   * Creates a topic before the suite's ensureTopic does, for settings the suite needs from a real
   * broker: records with timestamps older than its retention must not be deleted while a test reads.
   */
  prepareTopic?: (topic: string, partitions: number) => Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (r: BusRecord): string => dec.decode(r.value);
const MARKER = 'contract-marker';
const isMarker = (r: BusRecord): boolean => r.key === MARKER;

/** Consumes in the background, recording batches and, per partition, the next offset to process. */
class Reader {
  readonly consumer: Consumer;
  readonly batches: RecordBatch[] = [];
  readonly records: BusRecord[] = [];
  /** tpKey → offset after the last record handed to this reader: its "processed" position. */
  readonly next = new Map<string, number>();
  readonly done: Promise<void>;
  error: unknown;

  constructor(consumer: Consumer, commitEachBatch: boolean) {
    this.consumer = consumer;
    this.done = (async () => {
      for await (const b of consumer.batches()) {
        this.batches.push(b);
        const last = b.records[b.records.length - 1];
        if (last === undefined) continue;
        // Record progress before any await, so an onRevoke that runs at the next pull sees it.
        for (const r of b.records) this.records.push(r);
        this.next.set(tpKey(b.topic, b.partition), last.offset + 1);
        if (commitEachBatch) await consumer.commit(b.topic, b.partition, last.offset + 1);
      }
    })().catch((e: unknown) => {
      this.error = e;
    });
  }

  payload(): BusRecord[] {
    return this.records.filter((r) => !isMarker(r));
  }

  markers(): number {
    return this.records.filter(isMarker).length;
  }
}

type ReadFn = (options: Partial<ConsumeOptions> & { group: string }, commitEachBatch?: boolean) => Reader;

const sortedTps = (tps: TopicPartition[]): string[] => tps.map((tp) => tpKey(tp.topic, tp.partition)).sort();

const assertNoDuplicates = (records: BusRecord[], what: string): void => {
  const seen = new Set<string>();
  for (const r of records) {
    const id = `${r.topic}:${r.partition}:${r.offset}`;
    assert.ok(!seen.has(id), `${what}: ${id} delivered twice`);
    seen.add(id);
  }
};

export function busContract(name: string, makeBus: () => Promise<Bus>, opts: BusContractOptions = {}): void {
  const slow = opts.slowFactor ?? 1;
  const deadlineMs = 20_000 * slow;
  let seq = 0;
  const run = opts.runId ?? `${process.pid}-${Date.now().toString(36)}`;
  const unique = (what: string): string => `contract-${what}-${run}-${++seq}`;

  const waitFor = async (what: string, cond: () => boolean, readers: Reader[] = []): Promise<void> => {
    const until = Date.now() + deadlineMs;
    for (;;) {
      for (const r of readers) if (r.error !== undefined) throw r.error;
      if (cond()) return;
      if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  const settles = async (what: string, p: Promise<unknown>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), deadlineMs);
    });
    try {
      await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** A fresh bus and topic; closes the readers and the bus afterwards, whatever happened. */
  const withBus = async (
    partitions: number,
    fn: (ctx: { bus: Bus; topic: string; readers: Reader[]; read: ReadFn }) => Promise<void>,
  ): Promise<void> => {
    const bus = await makeBus();
    const topic = unique('t');
    const readers: Reader[] = [];
    const read: ReadFn = (options, commitEachBatch = false) => {
      const r = new Reader(bus.consumer({ topics: [topic], ...options }), commitEachBatch);
      readers.push(r);
      return r;
    };
    try {
      await opts.prepareTopic?.(topic, partitions);
      await bus.ensureTopic(topic, partitions);
      await fn({ bus, topic, readers, read });
      for (const r of readers) if (r.error !== undefined) throw r.error;
    } finally {
      await Promise.allSettled(readers.map((r) => r.consumer.close()));
      await bus.close();
    }
  };

  /** Sends `n` records keyed `key(i)` with value `${tag}:${i}`, in sends of up to 100. */
  const produce = async (bus: Bus, topic: string, tag: string, n: number, key: (i: number) => string) => {
    for (let i = 0; i < n; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 100); j++)
        batch.push({ key: key(j), value: enc.encode(`${tag}:${j}`) });
      await bus.send(topic, batch);
    }
  };

  /** One marker per partition; wait until `readers` together have read them all. */
  const markAndDrain = async (bus: Bus, topic: string, readers: Reader[]): Promise<void> => {
    const n = await bus.partitionCount(topic);
    const before = readers.reduce((s, r) => s + r.markers(), 0);
    await bus.send(
      topic,
      Array.from({ length: n }, (_, p) => ({
        key: MARKER,
        value: enc.encode(`${MARKER}:${p}`),
        partition: p,
      })),
    );
    await waitFor(`${n} markers`, () => readers.reduce((s, r) => s + r.markers(), 0) >= before + n, readers);
  };

  const expectTags = (records: BusRecord[], tag: string, n: number, what: string): void => {
    assertNoDuplicates(records, what);
    const got = records.map(text).sort();
    const want = Array.from({ length: n }, (_, i) => `${tag}:${i}`).sort();
    assert.deepEqual(got, want, what);
  };

  describe(`Bus contract: ${name}`, () => {
    it('ensureTopic is idempotent and keeps what the topic holds', async () => {
      await withBus(3, async ({ bus, topic }) => {
        await bus.ensureTopic(topic, 3);
        assert.equal(await bus.partitionCount(topic), 3);
        await produce(bus, topic, 'a', 30, (i) => `k${i}`);
        await bus.ensureTopic(topic, 3);
        assert.equal(await bus.partitionCount(topic), 3);
        const ends = await bus.endOffsets(topic);
        assert.equal(
          ends.reduce((a, b) => a + b, 0),
          30,
        );
      });
    });

    it('endOffsets are the next offset to be written in each partition', async () => {
      await withBus(3, async ({ bus, topic }) => {
        assert.deepEqual(await bus.endOffsets(topic), [0, 0, 0]);
        const explicit = [0, 0, 0, 0, 0, 2, 2].map((p) => ({
          key: 'x',
          value: enc.encode('v'),
          partition: p,
        }));
        await bus.send(topic, explicit);
        assert.deepEqual(await bus.endOffsets(topic), [5, 0, 2]);
        const keys = Array.from({ length: 50 }, (_, i) => `user-${i}`);
        await bus.send(
          topic,
          keys.map((key) => ({ key, value: enc.encode(key) })),
        );
        const want = [5, 0, 2];
        for (const k of keys) want[partitionFor(k, 3)]! += 1;
        assert.deepEqual(await bus.endOffsets(topic), want);
      });
    });

    it('keyed records land on partitionFor(key), explicit partitions are honoured, per-key order holds', async () => {
      await withBus(4, async ({ bus, topic, read }) => {
        const keys = Array.from({ length: 16 }, (_, i) => `SYM${i}`);
        for (let round = 0; round < 10; round++) {
          await bus.send(
            topic,
            keys.map((key) => ({ key, value: enc.encode(`${key}:${round}`) })),
          );
        }
        const pinned = (partitionFor('SYM0', 4) + 1) % 4;
        await bus.send(topic, [{ key: 'SYM0', value: enc.encode('pinned'), partition: pinned }]);
        const r = read({ group: unique('g') });
        await waitFor('161 records', () => r.records.length >= 161, [r]);
        await markAndDrain(bus, topic, [r]);
        const records = r.payload();
        assert.equal(records.length, 161);
        const rounds = new Map<string, number[]>();
        for (const rec of records) {
          const value = text(rec);
          if (value === 'pinned') {
            assert.equal(rec.partition, pinned);
            continue;
          }
          assert.equal(rec.partition, partitionFor(rec.key!, 4), `partition of ${rec.key}`);
          const [key, round] = value.split(':');
          assert.equal(key, rec.key);
          rounds.set(key!, [...(rounds.get(key!) ?? []), Number(round)]);
        }
        for (const k of keys)
          assert.deepEqual(
            rounds.get(k),
            Array.from({ length: 10 }, (_, i) => i),
            k,
          );
      });
    });

    it('offsets are contiguous from 0 per partition and each batch is one partition in offset order', async () => {
      await withBus(3, async ({ bus, topic, read }) => {
        await produce(bus, topic, 'o', 200, (i) => `key${i % 37}`);
        const r = read({ group: unique('g'), maxBatch: 16 });
        await waitFor('200 records', () => r.records.length >= 200, [r]);
        const ends = await bus.endOffsets(topic);
        for (const b of r.batches) {
          for (let i = 0; i < b.records.length; i++) {
            const rec = b.records[i]!;
            assert.equal(rec.topic, b.topic);
            assert.equal(rec.partition, b.partition);
            if (i > 0) assert.equal(rec.offset, b.records[i - 1]!.offset + 1, 'contiguous within a batch');
          }
        }
        for (let p = 0; p < 3; p++) {
          const offsets = r.records.filter((rec) => rec.partition === p).map((rec) => rec.offset);
          assert.deepEqual(
            offsets,
            Array.from({ length: ends[p]! }, (_, i) => i),
            `partition ${p}`,
          );
        }
      });
    });

    it('a group reads every record exactly once', async () => {
      await withBus(3, async ({ bus, topic, read }) => {
        const r = read({ group: unique('g') });
        await produce(bus, topic, 'e', 300, (i) => `k${i % 11}`);
        await waitFor('300 records', () => r.records.length >= 300, [r]);
        await markAndDrain(bus, topic, [r]);
        expectTags(r.payload(), 'e', 300, 'one group');
      });
    });

    it('a new member of the same group resumes at the committed offset', async () => {
      await withBus(1, async ({ bus, topic, read }) => {
        const group = unique('g');
        await produce(bus, topic, 'c', 10, () => 'k');
        const first = read({ group });
        await waitFor('10 records', () => first.records.length >= 10, [first]);
        await first.consumer.commit(topic, 0, 6);
        await first.consumer.close();
        await settles('first reader to end', first.done);
        assert.deepEqual(await bus.committedOffsets(group, topic), [6]);
        assert.deepEqual(await bus.committedOffsets(unique('other-group'), topic), [-1]);
        await produce(bus, topic, 'd', 5, () => 'k');
        const second = read({ group });
        await waitFor('9 records', () => second.records.length >= 9, [second]);
        await markAndDrain(bus, topic, [second]);
        assert.deepEqual(
          second.payload().map((rec) => rec.offset),
          [6, 7, 8, 9, 10, 11, 12, 13, 14],
        );
        assert.deepEqual(second.payload().map(text), [
          'c:6',
          'c:7',
          'c:8',
          'c:9',
          'd:0',
          'd:1',
          'd:2',
          'd:3',
          'd:4',
        ]);
      });
    });

    it('two groups each read every record', async () => {
      await withBus(2, async ({ bus, topic, read }) => {
        const a = read({ group: unique('ga') });
        const b = read({ group: unique('gb') });
        await produce(bus, topic, 'g', 100, (i) => `k${i}`);
        await waitFor('both groups read 100', () => a.records.length >= 100 && b.records.length >= 100, [
          a,
          b,
        ]);
        await markAndDrain(bus, topic, [a]);
        await markAndDrain(bus, topic, [b]);
        expectTags(a.payload(), 'g', 100, 'group a');
        expectTags(b.payload(), 'g', 100, 'group b');
      });
    });

    it('two members of one group split the partitions and together read each record once', async () => {
      await withBus(4, async ({ bus, topic, read }) => {
        const group = unique('g');
        // Kafka's usual pattern: commit after each batch, and in onRevoke what was processed so far.
        const members: Reader[] = [];
        const member = (): Reader => {
          const self: { reader?: Reader } = {};
          const reader = read(
            {
              group,
              maxBatch: 10,
              onRevoke: async (tps) => {
                for (const tp of tps) {
                  const next = self.reader?.next.get(tpKey(tp.topic, tp.partition));
                  if (next !== undefined) await self.reader!.consumer.commit(tp.topic, tp.partition, next);
                }
              },
            },
            true,
          );
          self.reader = reader;
          members.push(reader);
          return reader;
        };
        const a = member();
        await produce(bus, topic, 's', 100, (i) => `k${i}`);
        // b joins once a has made progress, so the hand-over must carry a's position (its commits).
        await waitFor('first member to read', () => a.records.length >= 10, members);
        const b = member();
        const split = (): boolean => {
          const x = sortedTps(a.consumer.assignment());
          const y = sortedTps(b.consumer.assignment());
          return (
            x.length > 0 && y.length > 0 && x.length + y.length === 4 && new Set([...x, ...y]).size === 4
          );
        };
        await waitFor('both members to own partitions, disjointly, all four between them', split, members);
        await produce(bus, topic, 't', 100, (i) => `k${i}`);
        await waitFor(
          '200 records between them',
          () => a.payload().length + b.payload().length >= 200,
          members,
        );
        await markAndDrain(bus, topic, members);
        const all = [...a.payload(), ...b.payload()];
        assertNoDuplicates(all, 'group of two');
        assert.deepEqual(
          all.map(text).sort(),
          [
            ...Array.from({ length: 100 }, (_, i) => `s:${i}`),
            ...Array.from({ length: 100 }, (_, i) => `t:${i}`),
          ].sort(),
        );
        assert.ok(split(), 'assignment still split');
        // Sent after the split settled: each record went to the member that owns its partition.
        for (const r of [a, b]) {
          const mine = new Set(sortedTps(r.consumer.assignment()));
          for (const rec of r.payload()) {
            if (text(rec).startsWith('t:')) assert.ok(mine.has(tpKey(rec.topic, rec.partition)));
          }
        }
      });
    });

    it('a leaving member hands its partitions over; the survivor starts at the offsets onAssign returns', async () => {
      await withBus(4, async ({ bus, topic, read }) => {
        const group = unique('g');
        // A checkpoint store shared by both members, standing in for the processors' state store.
        // Nothing is ever committed: resuming without duplicates proves the onAssign offsets were used.
        const checkpoint = new Map<string, number>();
        const revokes = new Map<string, string[][]>();
        const assigns = new Map<string, string[][]>();
        const member = (id: string): Reader => {
          const self: { reader?: Reader } = {};
          revokes.set(id, []);
          assigns.set(id, []);
          const reader = read({
            group,
            maxBatch: 7,
            onAssign: (tps) => {
              assigns.get(id)!.push(sortedTps(tps));
              const restored = new Map<string, number>();
              for (const tp of tps) {
                const at = checkpoint.get(tpKey(tp.topic, tp.partition));
                if (at !== undefined) restored.set(tpKey(tp.topic, tp.partition), at);
              }
              return restored;
            },
            onRevoke: (tps) => {
              revokes.get(id)!.push(sortedTps(tps));
              for (const tp of tps) {
                const next = self.reader?.next.get(tpKey(tp.topic, tp.partition));
                if (next !== undefined) checkpoint.set(tpKey(tp.topic, tp.partition), next);
              }
            },
          });
          self.reader = reader;
          return reader;
        };
        const a = member('a');
        const b = member('b');
        await produce(bus, topic, 'h', 100, (i) => `k${i}`);
        await waitFor(
          'both members own partitions and 100 records are read',
          () =>
            a.consumer.assignment().length > 0 &&
            b.consumer.assignment().length > 0 &&
            a.payload().length + b.payload().length >= 100,
          [a, b],
        );
        const aOwned = sortedTps(a.consumer.assignment());
        await a.consumer.close();
        await settles('leaving member to end', a.done);
        assert.ok(
          aOwned.every((k) => revokes.get('a')!.some((call) => call.includes(k))),
          'onRevoke was called with the leaving member’s partitions',
        );
        await waitFor('survivor owns all four', () => b.consumer.assignment().length === 4, [b]);
        assert.ok(
          aOwned.every((k) => assigns.get('b')!.some((call) => call.includes(k))),
          'onAssign was called on the survivor with the partitions it took over',
        );
        await produce(bus, topic, 'i', 100, (i) => `k${i}`);
        await waitFor('200 records', () => a.payload().length + b.payload().length >= 200, [b]);
        await markAndDrain(bus, topic, [b]);
        const all = [...a.payload(), ...b.payload()];
        assertNoDuplicates(all, 'hand-over');
        assert.equal(all.length, 200);
        assert.deepEqual(await bus.committedOffsets(group, topic), [-1, -1, -1, -1]);
      });
    });

    it('offsets returned by onAssign take precedence over the committed offset', async () => {
      await withBus(1, async ({ bus, topic, read }) => {
        const group = unique('g');
        await produce(bus, topic, 'p', 10, () => 'k');
        const first = read({ group });
        await waitFor('10 records', () => first.records.length >= 10, [first]);
        await first.consumer.commit(topic, 0, 2);
        await first.consumer.close();
        const second = read({
          group,
          onAssign: (tps) => new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), 7])),
        });
        await waitFor('3 records', () => second.records.length >= 3, [second]);
        await markAndDrain(bus, topic, [second]);
        assert.deepEqual(
          second.payload().map((rec) => rec.offset),
          [7, 8, 9],
        );
      });
    });

    it('an onAssign that fails (even with a retryable error) fails the pull: no member keeps partitions it never reads', async () => {
      const bus = await makeBus();
      const topic = unique('t');
      try {
        await bus.ensureTopic(topic, 1);
        const failure = new TickstreamError('STORE_UNAVAILABLE', 'checkpoint store down', {
          retryable: true,
        });
        const consumer = bus.consumer({
          topics: [topic],
          group: unique('g'),
          onAssign: () => {
            throw failure;
          },
        });
        try {
          const pulled = (async () => {
            for await (const _ of consumer.batches()) {
              // nothing is expected before the failure
            }
          })();
          let timer: NodeJS.Timeout | undefined;
          const stalled = new Promise<'stalled'>((r) => {
            timer = setTimeout(() => r('stalled'), 30_000);
          });
          const outcome = await Promise.race([
            pulled.then(
              () => 'ended',
              (e: unknown) => e,
            ),
            stalled,
          ]);
          clearTimeout(timer);
          assert.equal(outcome, failure);
        } finally {
          await consumer.close();
        }
      } finally {
        await bus.close();
      }
    });

    it("reset 'latest' starts at the end at assignment, 'earliest' at the beginning", async () => {
      await withBus(2, async ({ bus, topic, read }) => {
        await produce(bus, topic, 'old', 10, (i) => `k${i}`);
        const latest = read({ group: unique('latest'), reset: 'latest' });
        await waitFor('latest member owns both partitions', () => latest.consumer.assignment().length === 2, [
          latest,
        ]);
        await produce(bus, topic, 'new', 10, (i) => `k${i}`);
        const earliest = read({ group: unique('earliest'), reset: 'earliest' });
        await waitFor('records', () => latest.records.length >= 10 && earliest.records.length >= 20, [
          latest,
          earliest,
        ]);
        await markAndDrain(bus, topic, [latest]);
        await markAndDrain(bus, topic, [earliest]);
        expectTags(latest.payload(), 'new', 10, 'latest');
        assert.equal(earliest.payload().length, 20);
        assertNoDuplicates(earliest.payload(), 'earliest');
      });
    });

    it('batches hold between 1 and maxBatch records', async () => {
      await withBus(2, async ({ bus, topic, read }) => {
        await bus.send(
          topic,
          Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: enc.encode(`m:${i}`) })),
        );
        const r = read({ group: unique('g'), maxBatch: 7 });
        await waitFor('100 records', () => r.records.length >= 100, [r]);
        assert.ok(r.batches.length >= Math.ceil(100 / 7));
        for (const b of r.batches)
          assert.ok(b.records.length >= 1 && b.records.length <= 7, `${b.records.length}`);
        expectTags(r.records, 'm', 100, 'maxBatch');
      });
    });

    it('keys, values and timestamps round-trip exactly; values are copied at send', async () => {
      await withBus(1, async ({ bus, topic, read }) => {
        let x = 12345;
        const big = new Uint8Array(100_000).map(() => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return x >>> 24;
        });
        const every = Uint8Array.from({ length: 256 }, (_, i) => i);
        // A view into the middle of a larger buffer: adapters must not send the whole underlying buffer.
        const backing = Uint8Array.from({ length: 64 }, (_, i) => 200 - i);
        const view = backing.subarray(10, 20);
        const reused = Uint8Array.of(1, 2, 3);
        const sent = [
          { key: 'plain', value: new Uint8Array(0), timestamp: 1_700_000_000_000 },
          { key: 'ü-ключ-🚀', value: every, timestamp: 1_700_000_000_001 },
          { key: '', value: big, timestamp: 1 },
          { key: 'view', value: view, timestamp: 1_700_000_000_002 },
          { key: 'reused', value: reused, timestamp: 1_700_000_000_003 },
        ];
        await bus.send(topic, sent);
        reused.fill(9); // a producer may reuse its buffer once send resolves
        const r = read({ group: unique('g') });
        await waitFor('5 records', () => r.records.length >= 5, [r]);
        assert.equal(r.records.length, 5);
        r.records.forEach((rec, i) => {
          const s = sent[i]!;
          assert.equal(rec.key, s.key);
          assert.equal(rec.timestamp, s.timestamp);
          assert.deepEqual(Array.from(rec.value), i === 4 ? [1, 2, 3] : Array.from(s.value), `value ${i}`);
        });
      });
    });

    it('a record without a timestamp gets one', async () => {
      await withBus(1, async ({ bus, topic, read }) => {
        await bus.send(topic, [{ key: 'k', value: enc.encode('v') }]);
        const r = read({ group: unique('g') });
        await waitFor('1 record', () => r.records.length >= 1, [r]);
        assert.ok(Number.isFinite(r.records[0]!.timestamp) && r.records[0]!.timestamp > 0);
      });
    });

    it("close ends the consumer's iterator, and closing the bus ends its consumers", async () => {
      const bus = await makeBus();
      const topic = unique('t');
      try {
        await bus.ensureTopic(topic, 2);
        const waiting = new Reader(bus.consumer({ group: unique('g'), topics: [topic] }), false);
        await waitFor('assignment', () => waiting.consumer.assignment().length === 2, [waiting]);
        await waiting.consumer.close();
        await settles('iterator to end after close', waiting.done);
        assert.equal(waiting.error, undefined);
        const other = new Reader(bus.consumer({ group: unique('g'), topics: [topic] }), false);
        await waitFor('assignment', () => other.consumer.assignment().length === 2, [other]);
        await bus.close();
        await settles('iterator to end after bus close', other.done);
        assert.equal(other.error, undefined);
      } finally {
        await bus.close(); // idempotent
      }
    });
  });
}
