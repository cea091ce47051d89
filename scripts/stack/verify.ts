// End-to-end check of the local stack with the project's own clients.
//   node scripts/stack/verify.ts write        -> creates topic/table, writes a run, reads it back,
//                                               prints the run id
//   node scripts/stack/verify.ts check RUN_ID -> after a restart: the run's records and row are still there
// Kafka is exercised with both @platformatic/kafka and kafkajs (kafkajs speaks older protocol
// versions, some of which Kafka 4 removed), Cassandra with cassandra-driver.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  Admin,
  Consumer,
  compatibilityPartitioner,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { Client } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';

const KAFKA = `127.0.0.1:${process.env.STACK_KAFKA_PORT ?? '9092'}`;
const CASSANDRA_PORT = Number(process.env.STACK_CASSANDRA_PORT ?? '9042');
const TOPIC = 'stack-verify';
const PARTITIONS = 6;
const PER_CLIENT = 12;
const CONSUME_TIMEOUT_MS = 30_000;

interface Seen {
  value: string;
  key: string;
  partition: number;
}

function newAdmin(): Admin {
  return new Admin({ clientId: 'stack-verify', bootstrapBrokers: [KAFKA] });
}

// Creates the topic if needed and waits until every partition has a leader: a producer that
// sends to a topic whose leaders are not all known yet may retry a whole batch.
async function ensureTopic(admin: Admin): Promise<void> {
  const existing = await admin.listTopics();
  if (!existing.includes(TOPIC)) {
    await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 });
  }
  const deadline = Date.now() + CONSUME_TIMEOUT_MS;
  for (;;) {
    const md = await admin.metadata({ topics: [TOPIC], forceUpdate: true });
    const topic = md.topics.get(TOPIC);
    if (topic?.partitionsCount === PARTITIONS && topic.partitions.every((p) => p.leader >= 0)) return;
    assert.ok(Date.now() < deadline, `topic ${TOPIC} has no leader for every partition`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Sum of the end offsets of all partitions: how many records the topic ever received.
async function totalEndOffset(admin: Admin): Promise<bigint> {
  const partitions = Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({
    partitionIndex,
    timestamp: -1n, // -1 = latest
  }));
  const [topic] = await admin.listOffsets({ topics: [{ name: TOPIC, partitions }] });
  return (topic?.partitions ?? []).reduce((sum, p) => sum + p.offset, 0n);
}

async function produce(runId: string): Promise<void> {
  // compatibilityPartitioner hashes keys as the Java client and kafkajs do (murmur2 & 0x7fffffff);
  // the default one (murmur2 >>> 0) sends some keys to other partitions.
  const pf = new Producer({
    clientId: 'stack-verify-pf',
    bootstrapBrokers: [KAFKA],
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
  });
  try {
    await pf.send({
      messages: Array.from({ length: PER_CLIENT }, (_, i) => ({
        topic: TOPIC,
        key: `k${i}`,
        value: `${runId}:pf:${i}`,
      })),
    });
  } finally {
    await pf.close();
  }
  const kjs = new Kafka({
    clientId: 'stack-verify-kjs',
    brokers: [KAFKA],
    logLevel: logLevel.NOTHING,
  }).producer();
  await kjs.connect();
  try {
    await kjs.send({
      topic: TOPIC,
      messages: Array.from({ length: PER_CLIENT }, (_, i) => ({ key: `k${i}`, value: `${runId}:kjs:${i}` })),
    });
  } finally {
    await kjs.disconnect();
  }
}

// Reads the topic from the beginning in a fresh group until every record of the run was seen.
async function consumePlatformatic(runId: string): Promise<Seen[]> {
  const consumer = new Consumer({
    groupId: `stack-verify-pf-${randomUUID()}`,
    clientId: 'stack-verify-pf',
    bootstrapBrokers: [KAFKA],
    deserializers: stringDeserializers,
  });
  const seen: Seen[] = [];
  try {
    const stream = await consumer.consume({ topics: [TOPIC], mode: 'earliest', autocommit: false });
    const timer = setTimeout(
      () => stream.destroy(new Error('platformatic consumer timed out')),
      CONSUME_TIMEOUT_MS,
    );
    try {
      for await (const m of stream) {
        if (m.value.startsWith(runId)) seen.push({ value: m.value, key: m.key, partition: m.partition });
        if (seen.length === 2 * PER_CLIENT) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return seen;
}

async function consumeKafkajs(runId: string): Promise<Seen[]> {
  const kafka = new Kafka({ clientId: 'stack-verify-kjs', brokers: [KAFKA], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `stack-verify-kjs-${randomUUID()}` });
  const seen: Seen[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('kafkajs consumer timed out')), CONSUME_TIMEOUT_MS);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            const value = message.value?.toString() ?? '';
            if (value.startsWith(runId)) seen.push({ value, key: message.key?.toString() ?? '', partition });
            if (seen.length === 2 * PER_CLIENT) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function expectedValues(runId: string): string[] {
  const out: string[] = [];
  for (const client of ['pf', 'kjs'])
    for (let i = 0; i < PER_CLIENT; i++) out.push(`${runId}:${client}:${i}`);
  return out.sort();
}

function checkSeen(label: string, runId: string, seen: Seen[]): void {
  assert.deepEqual(
    seen.map((s) => s.value).sort(),
    expectedValues(runId),
    `${label}: records of run ${runId} differ`,
  );
  const partitionsUsed = new Set(seen.map((s) => s.partition)).size;
  console.log(`${label}: read ${seen.length} records of the run from ${partitionsUsed} partitions`);
}

// Both clients hash keys with murmur2 like the Java client; if they agree, a key lands in the
// same partition whichever client produced it.
function checkPartitioners(seen: Seen[]): void {
  const byKey = new Map<string, Set<number>>();
  for (const s of seen) {
    const set = byKey.get(s.key) ?? new Set<number>();
    set.add(s.partition);
    byKey.set(s.key, set);
  }
  const split = [...byKey].filter(([, set]) => set.size > 1).map(([k]) => k);
  assert.deepEqual(
    split,
    [],
    `keys placed differently by @platformatic/kafka and kafkajs: ${split.join(', ')}`,
  );
  console.log('partitioners: @platformatic/kafka and kafkajs put every key in the same partition');
}

async function withCassandra<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    contactPoints: ['127.0.0.1'],
    protocolOptions: { port: CASSANDRA_PORT },
    localDataCenter: 'datacenter1',
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.shutdown();
  }
}

async function writeCassandra(runId: string): Promise<void> {
  await withCassandra(async (c) => {
    await c.execute(
      "CREATE KEYSPACE IF NOT EXISTS stack_verify WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    await c.execute(
      'CREATE TABLE IF NOT EXISTS stack_verify.runs (name text PRIMARY KEY, run_id text, at timestamp)',
    );
    await c.execute(
      'INSERT INTO stack_verify.runs (name, run_id, at) VALUES (?, ?, ?)',
      ['last', runId, new Date()],
      {
        prepare: true,
      },
    );
    const row = (
      await c.execute('SELECT run_id FROM stack_verify.runs WHERE name = ?', ['last'], { prepare: true })
    ).first();
    assert.equal(row?.get('run_id'), runId);
    console.log('cassandra: wrote and read back stack_verify.runs');
  });
}

async function checkCassandra(runId: string): Promise<void> {
  await withCassandra(async (c) => {
    const row = (
      await c.execute('SELECT run_id FROM stack_verify.runs WHERE name = ?', ['last'], { prepare: true })
    ).first();
    assert.equal(row?.get('run_id'), runId, 'cassandra: the row of the run is gone');
    console.log('cassandra: the row of the run survived');
  });
}

async function main(): Promise<void> {
  const [mode, given] = process.argv.slice(2);
  if (mode === 'write') {
    const runId = randomUUID();
    const admin = newAdmin();
    try {
      await ensureTopic(admin);
      const before = await totalEndOffset(admin);
      await produce(runId);
      const written = (await totalEndOffset(admin)) - before;
      // More than 2 * PER_CLIENT would mean a producer wrote duplicates.
      assert.equal(written, BigInt(2 * PER_CLIENT), `the topic received ${written} records`);
      console.log(`kafka: topic ${TOPIC} received exactly ${written} records`);
    } finally {
      await admin.close();
    }
    const pf = await consumePlatformatic(runId);
    checkSeen('@platformatic/kafka', runId, pf);
    checkSeen('kafkajs', runId, await consumeKafkajs(runId));
    checkPartitioners(pf);
    await writeCassandra(runId);
    console.log(`run id: ${runId}`);
  } else if (mode === 'check' && given !== undefined) {
    checkSeen('@platformatic/kafka (after restart)', given, await consumePlatformatic(given));
    await checkCassandra(given);
  } else {
    console.error('usage: verify.ts write | verify.ts check RUN_ID');
    process.exit(2);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`verify failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
