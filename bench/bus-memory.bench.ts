// Records per second through the in-process bus: one producer sending batches of 1000 keyed records
// (40-byte values, 500 keys, murmur2 partitioning over 8 partitions) while one consumer group member
// pulls batches of up to 1000 and touches every record. The clock runs from the first send until the
// consumer has seen all 1,000,000. Best of 5 rounds, each on a fresh bus. Also reported per CPU-second of
// the process (GC threads included), which a busy shared machine distorts less than wall time.
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

const round = async (): Promise<Round> => {
  const bus = new MemoryBus();
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
let best: Round = { wall: 0, cpu: 0 };
for (let i = 0; i < 5; i++) {
  const r = await round();
  console.log(
    `round ${i + 1}: ${Math.round(r.wall)} records/s wall, ${Math.round(r.cpu)} records per CPU-second`,
  );
  best = { wall: Math.max(best.wall, r.wall), cpu: Math.max(best.cpu, r.cpu) };
  (globalThis as { gc?: () => void }).gc?.();
}
report('bus-memory-throughput', Math.round(best.wall), 'records/s');
report('bus-memory-throughput-cpu', Math.round(best.cpu), 'records/cpu-s');
