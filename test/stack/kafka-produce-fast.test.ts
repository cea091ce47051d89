// KafkaBus's fast Produce encoder (src/bus/kafka/produce-fast.ts) against a real broker: an idempotent
// producer sends waves of concurrent sends over several partitions (lz4, gzip, none), a KafkaBus consumer
// reads every record back (key, value, timestamp, order per partition). The broker must have accepted
// every Produce request but for leadership still settling after topic creation: no request refused
// otherwise (an OUT_OF_ORDER_SEQUENCE_NUMBER would make the library re-initialize the producer id and
// resend, hiding the error from the send), one
// InitProducerId for the whole run, every Produce request v11 and encoded by the fast path.
// Timestamps more than 2^31 ms apart share a partition and a request once the fast path is in use
// (checked: no more Produce requests than sends).
// Runs only with STACK_TESTS=1 (`bash scripts/stack/stack.sh start kafka` first); skipped otherwise.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectionsApiChannel } from '@platformatic/kafka';
import { KafkaBus } from '../../src/bus/kafka/kafka-bus.ts';
import { fastProduceCounters } from '../../src/bus/kafka/produce-fast.ts';
import { partitionFor } from '../../src/bus/partitioner.ts';
import type { BusRecord, ProduceRecord } from '../../src/bus/port.ts';
import { parseConfig } from '../../src/config.ts';
import { createTopicKeepingOldRecords, deleteTopicsContaining } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const broker = process.env.TICKSTREAM_KAFKA_BROKER ?? '127.0.0.1:9092';

type Compression = 'none' | 'gzip' | 'lz4';

const kafkaConfig = (compression: Compression) => ({
  ...parseConfig({
    bus: { kind: 'kafka', kafka: { brokers: [broker], clientId: 'tickstream-produce-fast' } },
  }).bus.kafka,
  compression,
});

const PRODUCE = 0;
const INIT_PRODUCER_ID = 22;

interface ApiContext {
  apiKey: number;
  apiVersion: number;
  error?: unknown;
}

/** Produce / InitProducerId requests and failures seen on the wire while `fn` runs. */
const watchApis = async <T>(
  fn: () => Promise<T>,
): Promise<{
  result: T;
  produceVersions: number[];
  inits: number;
  failedInits: number;
  errors: unknown[];
}> => {
  const produceVersions: number[] = [];
  const errors: unknown[] = [];
  let inits = 0;
  let failedInits = 0;
  const handlers = {
    start: (m: unknown) => {
      const c = m as ApiContext;
      if (c.apiKey === PRODUCE) produceVersions.push(c.apiVersion);
      if (c.apiKey === INIT_PRODUCER_ID) inits++;
    },
    error: (m: unknown) => {
      const c = m as ApiContext;
      if (c.apiKey === PRODUCE || c.apiKey === INIT_PRODUCER_ID) errors.push(c.error);
      if (c.apiKey === INIT_PRODUCER_ID) failedInits++;
    },
  };
  connectionsApiChannel.subscribe(handlers as Parameters<typeof connectionsApiChannel.subscribe>[0]);
  try {
    const result = await fn();
    return { result, produceVersions, inits, failedInits, errors };
  } finally {
    connectionsApiChannel.unsubscribe(handlers as Parameters<typeof connectionsApiChannel.unsubscribe>[0]);
  }
};

/** Broker error names (apiId) in `e` and what it aggregates. */
const apiIds = (e: unknown, out: string[] = []): string[] => {
  if (!(e instanceof Error)) return out;
  const id = (e as { apiId?: unknown }).apiId;
  if (typeof id === 'string') out.push(id);
  const nested = (e as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const x of nested) apiIds(x, out);
  return out;
};

/**
 * Retried by the client, nothing to do with encoding: leadership still settling right after topic
 * creation, and on a broker started seconds earlier the transaction coordinator still loading when
 * InitProducerId asks it for a producer id.
 */
const TRANSIENT = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
]);

/** Reads `count` records of `topic` with a KafkaBus consumer of a fresh group. */
const readAll = async (bus: KafkaBus, topic: string, group: string, count: number): Promise<BusRecord[]> => {
  const consumer = bus.consumer({ group, topics: [topic], reset: 'earliest' });
  const got: BusRecord[] = [];
  const until = Date.now() + 60_000;
  try {
    for await (const batch of consumer.batches()) {
      for (const r of batch.records) got.push(r);
      if (got.length >= count || Date.now() > until) break;
    }
  } finally {
    await consumer.close();
  }
  return got;
};

if (!enabled) {
  describe('Kafka fast produce', () => {
    it('needs a broker: set STACK_TESTS=1 after `bash scripts/stack/stack.sh start kafka`', {
      skip: true,
    }, () => {});
  });
} else {
  describe('Kafka fast produce', () => {
    const run = `${process.pid}-${Date.now().toString(36)}`;
    after(() => deleteTopicsContaining(run, broker));
    const PARTITIONS = 5;
    const WAVES = 5;
    const SENDS_PER_WAVE = 4;
    const RECORDS_PER_SEND = 60;
    // Past timestamps only: Kafka 4 rejects those more than an hour ahead (log.message.timestamp.after.max.ms).
    const NOW = Date.now();
    const WIDE = NOW - 2 ** 31 - 5_000;

    for (const compression of ['lz4', 'gzip', 'none'] as const) {
      it(`every record back in order per partition, sequences accepted across sends (${compression})`, async () => {
        const bus = await KafkaBus.connect(kafkaConfig(compression));
        const topic = `produce-fast-${compression}-${run}`;
        const before = { ...fastProduceCounters };
        const sent: ProduceRecord[] = [];
        try {
          await createTopicKeepingOldRecords(topic, PARTITIONS, broker); // records ~24.9 days old
          await bus.ensureTopic(topic, PARTITIONS);
          const watched = await watchApis(async () => {
            for (let w = 0; w < WAVES; w++) {
              const sends: Promise<void>[] = [];
              for (let s = 0; s < SENDS_PER_WAVE; s++) {
                const records: ProduceRecord[] = [];
                for (let i = 0; i < RECORDS_PER_SEND; i++) {
                  const n = sent.length + records.length;
                  const value = Buffer.alloc(20 + ((n * 37) % 300), n & 0xff);
                  value.writeUInt32BE(n, 0);
                  // After the first wave (the fast path is in use by then), every third record of a
                  // wave is ~24.9 days older than the others in its partition and request.
                  const timestamp = w > 0 && n % 3 === 0 ? WIDE + n : NOW + n;
                  records.push({ key: `K${n % 23}-ü`, value, timestamp });
                }
                sent.push(...records);
                sends.push(bus.send(topic, records));
              }
              await Promise.all(sends);
            }
          });
          const refused = watched.errors.flatMap((e) => apiIds(e)).filter((id) => !TRANSIENT.has(id));
          assert.deepEqual(refused, [], 'no Produce request refused for its content or sequence');
          assert.ok(
            watched.errors.every((e) => apiIds(e).length > 0),
            'only broker errors, no local ones',
          );
          // A refused InitProducerId (coordinator loading) is asked again; one of them got the id.
          assert.equal(
            watched.inits - watched.failedInits,
            1,
            'one producer id for the whole run (no recovery from a sequence error)',
          );
          assert.ok(watched.produceVersions.length >= WAVES);
          assert.ok(watched.produceVersions.every((v) => v === 11));
          // One request per send at most (linger may merge sends; a transient refusal adds a retry):
          // records ~24.9 days apart in one partition did not cut a send into several, as
          // LingerProducer does for the library's encoder.
          assert.ok(
            watched.produceVersions.length <=
              WAVES * SENDS_PER_WAVE + watched.errors.length - watched.failedInits,
            `${watched.produceVersions.length} Produce requests for ${WAVES * SENDS_PER_WAVE} sends`,
          );
          assert.equal(fastProduceCounters.fallbacks - before.fallbacks, 0);
          assert.ok(fastProduceCounters.requests - before.requests >= watched.produceVersions.length);
          // ≥: a request retried (leadership settling) is encoded again.
          assert.ok(fastProduceCounters.records - before.records >= sent.length, 'records encoded here');

          const got = await readAll(bus, topic, `produce-fast-${compression}-${run}`, sent.length);
          assert.equal(got.length, sent.length);
          const byPartition = new Map<number, BusRecord[]>();
          for (const r of got) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
          for (let p = 0; p < PARTITIONS; p++) {
            const want = sent.filter((r) => partitionFor(r.key, PARTITIONS) === p);
            const have = (byPartition.get(p) ?? []).sort((a, b) => a.offset - b.offset);
            assert.equal(have.length, want.length, `records of partition ${p}`);
            have.forEach((r, i) => {
              const m = want[i]!;
              assert.equal(r.offset, have[0]!.offset + i, 'contiguous offsets');
              assert.equal(r.key, m.key);
              assert.ok(Buffer.from(r.value).equals(Buffer.from(m.value)), `value of ${p}@${r.offset}`);
              assert.equal(r.timestamp, m.timestamp, `timestamp of ${p}@${r.offset}`);
            });
          }
        } finally {
          await bus.close();
        }
      });
    }

    it('connect(cfg, { fastProduce: false }) leaves every request to the library', async () => {
      const bus = await KafkaBus.connect(kafkaConfig('lz4'), { fastProduce: false });
      const topic = `produce-fast-off-${run}`;
      const before = { ...fastProduceCounters };
      try {
        await bus.ensureTopic(topic, 2);
        const records = Array.from({ length: 30 }, (_, i) => ({
          key: `k${i}`,
          value: Uint8Array.of(i),
          timestamp: NOW + i,
        }));
        await bus.send(topic, records);
        await bus.send(topic, records);
        assert.deepEqual(fastProduceCounters, before);
        const got = await readAll(bus, topic, `produce-fast-off-${run}`, 60);
        assert.equal(got.length, 60);
      } finally {
        await bus.close();
      }
    });
  });
}
