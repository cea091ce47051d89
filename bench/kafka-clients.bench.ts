// Which Kafka client the Kafka bus adapter uses, decided by measurement against the local broker
// (scripts/stack: `bash scripts/stack/stack.sh start kafka`): @platformatic/kafka vs kafkajs.
//
//   produce: keyed records with ~60-byte binary values, explicit partition = partitionFor(key, n) (as the
//            adapter does), acks=all, idempotent producer, one send of `batch` records awaited at a time
//            (the bus awaits each send), per codec each client can do without a native addon;
//   consume: a consumer group reading a pre-filled topic from the earliest offset to its end.
//
// kafkajs ships gzip only; lz4/snappy/zstd need codec packages, of which the common ones are native.
// Node 24's zlib has zstd built in, so kafkajs gets a zstd codec registered from node:zlib here (the same
// thing the adapter would have to do). @platformatic/kafka has gzip and zstd (node:zlib) and lz4 and snappy
// (WebAssembly) built in. @confluentinc/kafka-javascript (librdkafka) is a native addon whose install
// downloads a prebuilt binary: not installable on this machine, so not measured.
//
// Env: BENCH_KAFKA_BROKER (default 127.0.0.1:9092), BENCH_KAFKA_RECORDS (default 100000).

import { createRequire } from 'node:module';
import { zstdCompress, zstdDecompress } from 'node:zlib';
import { Admin, Consumer, compressionsAlgorithms, Producer } from '@platformatic/kafka';
import { KafkaBus } from '../src/bus/kafka/index.ts';
import { partitionFor } from '../src/bus/partitioner.ts';
import { parseConfig } from '../src/config.ts';
import { report } from './lib.ts';

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs') as typeof import('kafkajs');

const BROKER = process.env.BENCH_KAFKA_BROKER ?? '127.0.0.1:9092';
const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 100_000);
const PARTITIONS = 6;
const KEYS = Array.from({ length: 500 }, (_, i) => `SYM${i}`);
const RUN = `${process.pid}-${Date.now().toString(36)}`;

type Codec = 'none' | 'gzip' | 'lz4' | 'snappy' | 'zstd';
interface Rec {
  key: string;
  keyBytes: Buffer;
  value: Buffer;
  partition: number;
}

/** N records: 60-byte pseudo-random values (a Trade encodes to about that), keys cycling over KEYS. */
const makeRecords = (): Rec[] => {
  let x = 42;
  return Array.from({ length: N }, (_, i) => {
    const key = KEYS[i % KEYS.length]!;
    const value = Buffer.allocUnsafe(60);
    for (let j = 0; j < 60; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Half the bytes low-entropy like real encoded trades (prices, sizes repeat), so codecs have work.
      value[j] = j % 2 === 0 ? x >>> 24 : j;
    }
    return { key, keyBytes: Buffer.from(key), value, partition: partitionFor(key, PARTITIONS) };
  });
};

const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [BROKER], retries: 3 });

const createTopic = async (what: string): Promise<string> => {
  const topic = `bench-${what}-${RUN}`;
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  // Wait until every partition has a leader (producing earlier fails or, non-idempotent, duplicates).
  for (let i = 0; i < 100; i++) {
    const md = await admin.metadata({ topics: [topic], forceUpdate: true });
    const t = md.topics.get(topic);
    if (t !== undefined && t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader >= 0))
      return topic;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no leaders for ${topic}`);
};

const produceRate = async (
  send: (batch: readonly Rec[]) => Promise<void>,
  records: readonly Rec[],
  batch: number,
): Promise<number> => {
  await send(records.slice(0, batch)); // warm-up: connections, metadata, producer id
  const t0 = performance.now();
  for (let i = batch; i < records.length; i += batch) await send(records.slice(i, i + batch));
  return (records.length - batch) / ((performance.now() - t0) / 1000);
};

async function platformaticProduce(records: Rec[], codec: Codec, batch: number): Promise<[number, string]> {
  const topic = await createTopic(`plt-${codec}-${batch}`);
  const producer = new Producer({
    clientId: 'bench-plt',
    bootstrapBrokers: [BROKER],
    idempotent: true,
    acks: -1,
    compression: codec,
  });
  try {
    const rate = await produceRate(
      (b) =>
        producer
          .send({
            messages: b.map((r) => ({ topic, key: r.keyBytes, value: r.value, partition: r.partition })),
          })
          .then(() => undefined),
      records,
      batch,
    );
    return [rate, topic];
  } finally {
    await producer.close();
  }
}

let zstdRegistered = false;
/** kafkajs has no zstd; Node 24's zlib does, registered as kafkajs' ZSTD codec (no native addon). */
const registerKafkajsZstd = (): void => {
  if (zstdRegistered) return;
  zstdRegistered = true;
  const compress = (buffer: Buffer): Promise<Buffer> =>
    new Promise((res, rej) => zstdCompress(buffer, (e, out) => (e ? rej(e) : res(out))));
  const decompress = (buffer: Buffer): Promise<Buffer> =>
    new Promise((res, rej) => zstdDecompress(buffer, (e, out) => (e ? rej(e) : res(out))));
  const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
  codecs[kafkajs.CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => compress(encoder.buffer),
    decompress,
  });
};

const kafkajsCodec = (codec: Codec): number => {
  if (codec === 'none') return kafkajs.CompressionTypes.None;
  if (codec === 'gzip') return kafkajs.CompressionTypes.GZIP;
  if (codec === 'zstd') {
    registerKafkajsZstd();
    return kafkajs.CompressionTypes.ZSTD;
  }
  throw new Error(`kafkajs has no ${codec} codec without a native addon`);
};

const kafkajsClient = (id: string) =>
  new kafkajs.Kafka({ clientId: id, brokers: [BROKER], logLevel: kafkajs.logLevel.ERROR });

async function kafkajsProduce(records: Rec[], codec: Codec, batch: number): Promise<[number, string]> {
  const topic = await createTopic(`kjs-${codec}-${batch}`);
  const producer = kafkajsClient('bench-kjs').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const compression = kafkajsCodec(codec);
  try {
    const rate = await produceRate(
      (b) =>
        producer
          .send({
            topic,
            acks: -1,
            compression,
            messages: b.map((r) => ({ key: r.keyBytes, value: r.value, partition: r.partition })),
          })
          .then(() => undefined),
      records,
      batch,
    );
    return [rate, topic];
  } finally {
    await producer.disconnect();
  }
}

const deadline = (what: string, ms: number) => {
  const until = Date.now() + ms;
  return (): void => {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
  };
};

async function platformaticConsume(topic: string, total: number): Promise<number> {
  const consumer = new Consumer({
    clientId: 'bench-plt-consumer',
    groupId: `bench-plt-${RUN}-${topic}`,
    bootstrapBrokers: [BROKER],
    autocommit: false,
    maxWaitTime: 500,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const check = deadline('platformatic consume', 120_000);
    let n = 0;
    let t0 = 0;
    let bytes = 0;
    for await (const m of stream) {
      if (n === 0) t0 = performance.now();
      bytes += m.value.length; // touch the record, as a processor would
      if (++n >= total) break;
      if ((n & 0xfff) === 0) check();
    }
    const rate = (n - 1) / ((performance.now() - t0) / 1000);
    if (bytes === 0) throw new Error('no bytes');
    await stream.close();
    return rate;
  } finally {
    await consumer.close(true);
  }
}

async function kafkajsConsume(topic: string, total: number): Promise<number> {
  const consumer = kafkajsClient('bench-kjs-consumer').consumer({
    groupId: `bench-kjs-${RUN}-${topic}`,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let t0 = 0;
  let t1 = 0;
  let bytes = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (n === 0) t0 = performance.now();
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        n += batch.messages.length;
        if (n >= total && t1 === 0) {
          t1 = performance.now();
          resolve();
        }
      },
    });
  });
  const check = deadline('kafkajs consume', 120_000);
  await Promise.race([
    done,
    new Promise<void>((_, reject) => {
      const t = setInterval(() => {
        try {
          check();
        } catch (e) {
          clearInterval(t);
          reject(e);
        }
      }, 500);
      void done.then(() => clearInterval(t));
    }),
  ]);
  await consumer.disconnect();
  if (bytes === 0) throw new Error('no bytes');
  return n / ((t1 - t0) / 1000);
}

/** The adapter itself (the chosen client behind the Bus port): send of 5000 and a group's batches(). */
async function busRates(records: Rec[]): Promise<[number, number]> {
  const cfg = parseConfig({ bus: { kind: 'kafka', kafka: { brokers: [BROKER], compression: 'none' } } });
  const bus = await KafkaBus.connect(cfg.bus.kafka);
  try {
    const topic = `bench-bus-${RUN}`;
    await bus.ensureTopic(topic, PARTITIONS);
    const produced = await produceRate(
      (b) => bus.send(topic, b as unknown as { key: string; value: Uint8Array }[]),
      records,
      5000,
    );
    const consumer = bus.consumer({ group: `bench-bus-${RUN}`, topics: [topic], maxBatch: 1000 });
    const check = deadline('bus consume', 120_000);
    let n = 0;
    let t0 = 0;
    for await (const b of consumer.batches()) {
      if (n === 0) t0 = performance.now();
      n += b.records.length;
      if (n >= records.length) break;
      check();
    }
    const consumed = n / ((performance.now() - t0) / 1000);
    await consumer.close();
    return [produced, consumed];
  } finally {
    await bus.close();
  }
}

async function main(): Promise<void> {
  try {
    await admin.metadata({ topics: [] });
  } catch (e) {
    console.log(`kafka-clients: no broker at ${BROKER} (${(e as Error).message}); skipped`);
    await admin.close();
    return;
  }
  console.log(
    `kafka-clients: ${N} records, 60-byte values, ${KEYS.length} keys, ${PARTITIONS} partitions, acks=all, idempotent`,
  );
  console.log(
    `platformatic codecs available: ${Object.entries(compressionsAlgorithms)
      .filter(([, c]) => c.available)
      .map(([k]) => k)
      .join(', ')}; kafkajs: none, gzip (+ zstd registered from node:zlib)`,
  );
  const records = makeRecords();
  const filled: Record<string, string> = {};
  const runs: [string, (r: Rec[], c: Codec, b: number) => Promise<[number, string]>, Codec[]][] = [
    ['platformatic', platformaticProduce, ['none', 'gzip', 'lz4', 'snappy', 'zstd']],
    ['kafkajs', kafkajsProduce, ['none', 'gzip', 'zstd']],
  ];
  // Interleaved by round so a burst of other load on the shared machine hits both clients alike.
  for (const batch of [1000, 5000]) {
    for (const [name, produce] of runs) {
      const [rate, topic] = await produce(records, 'none', batch);
      report(`kafka-client-${name}-produce-b${batch}`, Math.round(rate), 'records/s');
      if (batch === 5000) filled[name] = topic;
    }
  }
  for (const codec of ['gzip', 'lz4', 'snappy', 'zstd'] as const) {
    for (const [name, produce, codecs] of runs) {
      if (!codecs.includes(codec)) continue;
      const [rate] = await produce(records, codec, 2000);
      report(`kafka-client-${name}-produce-${codec}-b2000`, Math.round(rate), 'records/s');
    }
  }
  // Each consumes the topic the other client wrote, as well as its own: both read what either wrote.
  for (const round of [0, 1]) {
    for (const [name, consume] of [
      ['platformatic', platformaticConsume],
      ['kafkajs', kafkajsConsume],
    ] as const) {
      const topic = round === 0 ? filled[name]! : filled[name === 'kafkajs' ? 'platformatic' : 'kafkajs']!;
      const rate = await consume(topic, N);
      report(`kafka-client-${name}-consume-r${round}`, Math.round(rate), 'records/s');
    }
  }
  const [busProduce, busConsume] = await busRates(records);
  report('kafka-bus-produce-b5000', Math.round(busProduce), 'records/s');
  report('kafka-bus-consume', Math.round(busConsume), 'records/s');
  await admin.close();
}

await main();
