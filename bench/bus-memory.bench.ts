// Records per second through the in-process bus: one producer sending batches of 1000 keyed records
// (40-byte values, 500 keys, murmur2 partitioning over 8 partitions) while one consumer group member
// pulls batches of up to 1000 and touches every record. The clock runs from the first send until the
// consumer has seen all 1,000,000. Best of 5 rounds, each on a fresh bus. Also reported per CPU-second of
// the process (GC threads included), which a busy shared machine distorts less than wall time.
// bus-durable-throughput: the same through MemoryBus.open({ dir }) on a fresh temp directory per round
// (one write per partition per send, default fsync 'none'), and the time to reopen the 1,000,000 records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '../src/bus/index.ts';
import type { ProduceRecord } from '../src/bus/port.ts';
import { report } from './lib.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const BATCH = 1000;
const PARTITIONS = 8;
const KEYS = 500;

// One batch of records, reused for every send: the bus copies values on send, as Kafka does.
const batch: ProduceRecord[] = Array.from({ length: BATCH }, (_, i) => {
  const value = new Uint8Array(40);
  for (let j = 0; j < value.length; j++) value[j] = (i * 31 + j) & 0xff;
  return { key: `SYM${i % KEYS}`, value, timestamp: 1_700_000_000_000 + i };
});

interface Round {
  wall: number;
  cpu: number;
}

/** Process CPU seconds (user + system, all threads): steadier than wall time on a shared machine. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const round = async (dir?: string): Promise<Round> => {
  const bus = dir === undefined ? new MemoryBus() : await MemoryBus.open({ dir });
  await bus.ensureTopic('trades', PARTITIONS);
  const consumer = bus.consumer({ group: 'bench', topics: ['trades'], maxBatch: BATCH });
  let seen = 0;
  let checksum = 0;
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const consume = (async () => {
    for await (const b of consumer.batches()) {
      for (const r of b.records) checksum += r.value[0]! + r.offset;
      seen += b.records.length;
      if (seen >= RECORDS) break;
    }
  })();
  for (let sent = 0; sent < RECORDS; sent += BATCH) await bus.send('trades', batch);
  await consume;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  await bus.close();
  if (checksum === 0) throw new Error('consumer saw nothing');
  return { wall: seen / seconds, cpu: seen / cpu };
};

// Best of 5: the first rounds include JIT warm-up.
const best = async (label: string, dirs: boolean): Promise<Round> => {
  let top: Round = { wall: 0, cpu: 0 };
  for (let i = 0; i < 5; i++) {
    const dir = dirs ? mkdtempSync(join(tmpdir(), 'tickstream-bench-bus-')) : undefined;
    try {
      const r = await round(dir);
      console.log(
        `${label} round ${i + 1}: ${Math.round(r.wall)} records/s wall, ${Math.round(r.cpu)} records per CPU-second`,
      );
      top = { wall: Math.max(top.wall, r.wall), cpu: Math.max(top.cpu, r.cpu) };
      if (dir !== undefined && i === 4) {
        const t0 = performance.now();
        const reopened = await MemoryBus.open({ dir });
        const ms = performance.now() - t0;
        const ends = await reopened.endOffsets('trades');
        await reopened.close();
        if (ends.reduce((s, e) => s + e, 0) !== RECORDS) throw new Error('reopen lost records');
        report('bus-durable-reopen', Math.round(RECORDS / (ms / 1000)), 'records/s');
      }
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
    (globalThis as { gc?: () => void }).gc?.();
  }
  return top;
};

const memory = await best('memory', false);
report('bus-memory-throughput', Math.round(memory.wall), 'records/s');
report('bus-memory-throughput-cpu', Math.round(memory.cpu), 'records/cpu-s');
const durable = await best('durable', true);
report('bus-durable-throughput', Math.round(durable.wall), 'records/s');
report('bus-durable-throughput-cpu', Math.round(durable.cpu), 'records/cpu-s');
