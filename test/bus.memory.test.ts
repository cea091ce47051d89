import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { MemoryBus } from '../src/bus/index.ts';
import type { RecordBatch, TopicPartition } from '../src/bus/port.ts';
import { busContract } from './contract/bus.contract.ts';

busContract('MemoryBus', async () => new MemoryBus());
// Tiny chunks, so the contract also runs across chunk boundaries and arena growth.
busContract('MemoryBus (chunkSize 3)', async () => new MemoryBus({ chunkSize: 3 }));

const enc = new TextEncoder();
const rec = (i: number, partition = 0) => ({ key: `k${i}`, value: enc.encode(`v${i}`), partition });
const many = (from: number, n: number, partition = 0) =>
  Array.from({ length: n }, (_, i) => rec(from + i, partition));

const pull = async (it: AsyncIterator<RecordBatch>): Promise<RecordBatch> => {
  const r = await it.next();
  assert.equal(r.done, false);
  return r.value as RecordBatch;
};

/** Lets every pending promise callback run: the in-process bus does all its work in microtasks. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await tick();
};

describe('MemoryBus retention', () => {
  it('drops whole old chunks and advances the log start offset; new groups start there', async () => {
    const bus = new MemoryBus({ retentionRecords: 100, chunkSize: 16 });
    await bus.ensureTopic('t', 1);
    for (let i = 0; i < 1000; i += 50) await bus.send('t', many(i, 50));
    const [start] = await bus.startOffsets('t');
    const [end] = await bus.endOffsets('t');
    assert.equal(end, 1000);
    // Worked out by hand: chunks hold offsets [16k, 16k+16) and the front one is dropped while the rest
    // still holds >= 100 records. At 1000 records: from 880 the rest would be 104 (drop), from 896 it
    // would be 88 (keep), so the log starts at 896.
    assert.equal(start, 896);
    const it = bus
      .consumer({ group: 'g', topics: ['t'], maxBatch: 1000 })
      .batches()
      [Symbol.asyncIterator]();
    const b = await pull(it);
    assert.equal(b.records[0]!.offset, 896);
    assert.equal(b.records.at(-1)!.offset, 999);
    assert.equal(new TextDecoder().decode(b.records[0]!.value), 'v896');
    await bus.close();
  });

  it('also bounds value bytes per partition', async () => {
    const bus = new MemoryBus({ retentionBytes: 1000, chunkSize: 10 });
    await bus.ensureTopic('t', 1);
    const value = new Uint8Array(50);
    for (let i = 0; i < 100; i++) await bus.send('t', [{ key: 'k', value, partition: 0 }]);
    // 500 bytes per chunk of 10; the front chunk is dropped while the rest still holds >= 1000 bytes,
    // so two chunks (offsets 80 to 99) stay.
    assert.deepEqual(await bus.startOffsets('t'), [80]);
    await bus.close();
  });

  it('a consumer that fell behind retention resets to the log start (earliest) or end (latest)', async () => {
    const bus = new MemoryBus({ retentionRecords: 10, chunkSize: 5 });
    await bus.ensureTopic('t', 1);
    await bus.send('t', many(0, 5));
    const early = bus
      .consumer({ group: 'e', topics: ['t'], maxBatch: 2 })
      .batches()
      [Symbol.asyncIterator]();
    const late = bus
      .consumer({ group: 'l', topics: ['t'], maxBatch: 2, reset: 'latest' })
      .batches()
      [Symbol.asyncIterator]();
    assert.deepEqual(
      (await pull(early)).records.map((r) => r.offset),
      [0, 1],
    );
    const lateNext = late.next(); // assigned at the end (5), waits
    await settle();
    await bus.send('t', many(5, 1));
    assert.deepEqual(
      ((await lateNext).value as RecordBatch).records.map((r) => r.offset),
      [5],
    );
    await bus.send('t', many(6, 44)); // offsets up to 49; start moves to 40
    assert.deepEqual(await bus.startOffsets('t'), [40]);
    assert.deepEqual(
      (await pull(early)).records.map((r) => r.offset),
      [40, 41],
    );
    await bus.send('t', many(50, 10)); // the late member is at 6 < start 50: jumps to the end
    const lateNext2 = late.next();
    await settle();
    await bus.send('t', many(60, 1));
    assert.deepEqual(
      ((await lateNext2).value as RecordBatch).records.map((r) => r.offset),
      [60],
    );
    await bus.close();
  });
});

describe('MemoryBus backpressure', () => {
  it('reads from the log only when asked: a non-pulling consumer holds nothing, however much is sent', async () => {
    const bus = new MemoryBus({ retentionRecords: 1000, chunkSize: 100 });
    await bus.ensureTopic('t', 1);
    const c = bus.consumer({ group: 'g', topics: ['t'], maxBatch: 10 });
    const it = c.batches()[Symbol.asyncIterator]();
    await bus.send('t', many(0, 10));
    assert.deepEqual(
      (await pull(it)).records.map((r) => r.offset),
      Array.from({ length: 10 }, (_, i) => i),
    );
    // The consumer is not pulling while 100,000 records go by. Had it buffered them, the next batch
    // would continue at 10; it continues at the log start instead, so nothing was held for it.
    for (let i = 0; i < 100_000; i += 1000) await bus.send('t', many(10 + i, 1000));
    const [start] = await bus.startOffsets('t');
    assert.ok(start! > 10);
    const next = await pull(it);
    assert.equal(next.records.length, 10);
    assert.equal(next.records[0]!.offset, start);
    await bus.close();
  });
});

describe('MemoryBus groups', () => {
  it('assigns ranges by member join order (Kafka RangeAssignor)', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopic('t', 5);
    const a = bus.consumer({ group: 'g', topics: ['t'] });
    const b = bus.consumer({ group: 'g', topics: ['t'] });
    const ia = a.batches()[Symbol.asyncIterator]();
    const ib = b.batches()[Symbol.asyncIterator]();
    const pa = ia.next();
    await settle();
    assert.deepEqual(
      a.assignment().map((tp) => tp.partition),
      [0, 1, 2, 3, 4],
    );
    const pb = ib.next();
    await settle();
    assert.deepEqual(
      a.assignment().map((tp) => tp.partition),
      [0, 1, 2],
    );
    assert.deepEqual(
      b.assignment().map((tp) => tp.partition),
      [3, 4],
    );
    await bus.close();
    assert.equal((await pa).done, true);
    assert.equal((await pb).done, true);
  });

  it('revokes only after the member asks for its next batch, and hands over after the revoke', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopic('t', 2);
    await bus.send('t', [rec(0, 0), rec(1, 1)]);
    const log: string[] = [];
    const a = bus.consumer({
      group: 'g',
      topics: ['t'],
      onRevoke: (tps: TopicPartition[]) => {
        log.push(`a revoke ${tps.map((tp) => tp.partition)}`);
      },
    });
    const b = bus.consumer({
      group: 'g',
      topics: ['t'],
      onAssign: (tps: TopicPartition[]) => {
        log.push(`b assign ${tps.map((tp) => tp.partition)}`);
        return undefined;
      },
    });
    const ia = a.batches()[Symbol.asyncIterator]();
    const first = await pull(ia); // a owns both partitions and holds a batch of partition 0
    assert.equal(first.partition, 0);
    const pb = b.batches()[Symbol.asyncIterator]().next(); // b joins: target moves partition 1 to b
    await settle();
    assert.deepEqual(log, [], 'a is still processing its batch: nothing revoked, nothing handed over');
    assert.deepEqual(
      a.assignment().map((tp) => tp.partition),
      [0, 1],
    );
    const pa = ia.next(); // a asks again: revokes 1 first, so b gets it; a has nothing new on 0 and waits
    await settle();
    assert.deepEqual(log, ['a revoke 1', 'b assign 1']);
    const bBatch = (await pb).value as RecordBatch;
    assert.equal(bBatch.partition, 1);
    assert.equal(bBatch.records[0]!.offset, 0);
    await bus.close();
    assert.equal((await pa).done, true);
  });

  it('rejects use after close with typed errors', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopic('t', 2);
    await assert.rejects(bus.send('nope', [rec(0)]), { code: 'BUS_TOPIC_UNKNOWN' });
    await assert.rejects(bus.send('t', [rec(0, 2)]), { code: 'BUS_TOPIC_UNKNOWN' });
    await assert.rejects(bus.partitionCount('nope'), { code: 'BUS_TOPIC_UNKNOWN' });
    assert.deepEqual(await bus.endOffsets('t'), [0, 0], 'a rejected send appends nothing');
    const c = bus.consumer({ group: 'g', topics: ['t'] });
    await c.close();
    await assert.rejects(c.commit('t', 0, 1), { code: 'BUS_CLOSED' });
    await bus.close();
    await assert.rejects(bus.send('t', [rec(0)]), { code: 'BUS_CLOSED' });
    assert.throws(() => bus.consumer({ group: 'g', topics: ['t'] }), { code: 'BUS_CLOSED' });
  });

  it('a consumer subscribed before its topic exists gets the partitions when it is created', async () => {
    const bus = new MemoryBus();
    const c = bus.consumer({ group: 'g', topics: ['later'] });
    const p = c.batches()[Symbol.asyncIterator]().next();
    await settle();
    assert.deepEqual(c.assignment(), []);
    await bus.ensureTopic('later', 1);
    await bus.send('later', [rec(0)]);
    const b = (await p).value as RecordBatch;
    assert.equal(b.topic, 'later');
    await bus.close();
  });
});
