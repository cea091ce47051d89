// The Bus contract against a real Kafka broker (scripts/stack: `bash scripts/stack/stack.sh start kafka`),
// plus what only Kafka can show: records written through KafkaBus are read by a plain kafkajs consumer
// with the same keys and partitions, and every key lands where Kafka's Java default partitioner puts it.
// Runs only with STACK_TESTS=1 (scripts/test.sh sets it after starting the stack); skipped otherwise.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { KafkaBus } from '../../src/bus/kafka/index.ts';
import { partitionFor } from '../../src/bus/partitioner.ts';
import { parseConfig } from '../../src/config.ts';
import { isTickstreamError } from '../../src/domain/errors.ts';
import { busContract } from '../contract/bus.contract.ts';
import { createTopicKeepingOldRecords, deleteTopicsContaining } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const broker = process.env.TICKSTREAM_KAFKA_BROKER ?? '127.0.0.1:9092';

type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const kafkaConfig = (compression?: Compression) => {
  const cfg = parseConfig({
    bus: { kind: 'kafka', kafka: { brokers: [broker], clientId: 'tickstream-test' } },
  });
  return compression === undefined ? cfg.bus.kafka : { ...cfg.bus.kafka, compression };
};

/**
 * kafkajs ships gzip only. A kafkajs user reading zstd registers a codec; Node 24's zlib has zstd, so
 * this one needs no package. (lz4, the config's default, needs a codec package for kafkajs: Java
 * clients and kcat read it as they are.)
 */
const registerKafkajsZstd = (kafkajs: typeof import('kafkajs')): void => {
  const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
  codecs[kafkajs.CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => Promise.resolve(zstdCompressSync(encoder.buffer)),
    decompress: (buffer: Buffer) => Promise.resolve(zstdDecompressSync(buffer)),
  });
};

if (!enabled) {
  describe('Bus contract: kafka', () => {
    it('needs a broker: set STACK_TESTS=1 after `bash scripts/stack/stack.sh start kafka`', {
      skip: true,
    }, () => {});
  });
} else {
  // One run id in every topic this file creates: its cleanup deletes those and no one else's.
  const run = `${process.pid}-${randomBytes(4).toString('hex')}`;
  after(() => deleteTopicsContaining(run, broker));
  busContract('kafka', () => KafkaBus.connect(kafkaConfig()), {
    slowFactor: 2,
    runId: run,
    prepareTopic: (topic, partitions) => createTopicKeepingOldRecords(topic, partitions, broker),
  });

  describe('Kafka bus: interoperability', () => {
    for (const compression of ['none', 'gzip', 'zstd'] as const) {
      it(`records written by KafkaBus (${compression}) are read by a plain kafkajs consumer with the same keys and partitions`, async () => {
        const require = createRequire(import.meta.url);
        const kafkajs = require('kafkajs') as typeof import('kafkajs');
        const { Kafka, logLevel } = kafkajs;
        registerKafkajsZstd(kafkajs);
        const bus = await KafkaBus.connect(kafkaConfig(compression));
        const topic = `interop-${compression}-${run}`;
        const n = 5;
        const keys = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `user-${i}` : `SYM${i}ü`));
        const kafka = new Kafka({ clientId: 'interop', brokers: [broker], logLevel: logLevel.NOTHING });
        const consumer = kafka.consumer({ groupId: `interop-${compression}-${run}` });
        try {
          await createTopicKeepingOldRecords(topic, n, broker); // records from 2023
          await bus.ensureTopic(topic, n);
          await bus.send(
            topic,
            keys.map((key, i) => ({
              key,
              value: Uint8Array.of(i, 255 - i, 7),
              timestamp: 1_700_000_000_000 + i,
            })),
          );
          await consumer.connect();
          await consumer.subscribe({ topics: [topic], fromBeginning: true });
          const got = new Map<string, { partition: number; value: number[]; timestamp: number }>();
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`kafkajs read ${got.size} of ${keys.length}`)),
              60_000,
            );
            void consumer.run({
              eachMessage: async ({ partition, message }) => {
                got.set(message.key!.toString('utf8'), {
                  partition,
                  value: [...message.value!],
                  timestamp: Number(message.timestamp),
                });
                if (got.size === keys.length) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            });
          });
          keys.forEach((key, i) => {
            const r = got.get(key);
            assert.ok(r !== undefined, key);
            assert.equal(r.partition, partitionFor(key, n), `partition of ${key}`);
            assert.deepEqual(r.value, [i, 255 - i, 7]);
            assert.equal(r.timestamp, 1_700_000_000_000 + i);
          });
        } finally {
          await consumer.disconnect();
          await bus.close();
        }
      });
    }

    it("each key lands on the partition of Kafka's Java default partitioner", async () => {
      // Expected partitions are computed without partitionFor: from murmur2 values produced by Java's
      // org.apache.kafka.common.utils.Utils.murmur2 (Kafka's UtilsTest vectors), and from kafkajs'
      // DefaultPartitioner (its Java-compatible one) for many more keys.
      const javaMurmur2: [string, number][] = [
        ['21', -973932308],
        ['foobar', -790332482],
        ['a-little-bit-long-string', -985981536],
        ['a-little-bit-longer-string', -1486304829],
        ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
        ['abc', 479470107],
      ];
      const require = createRequire(import.meta.url);
      const { Partitioners } = require('kafkajs') as typeof import('kafkajs');
      const kafkajsPartition = Partitioners.DefaultPartitioner();
      const n = 7;
      const ids = Array.from({ length: n }, (_, i) => i);
      const partitionMetadata = ids.map((partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      const expected = new Map<string, number>();
      for (const [key, h] of javaMurmur2) expected.set(key, (h & 0x7fffffff) % n);
      for (let i = 0; i < 200; i++) {
        const key = i % 2 === 0 ? `SYM${i}` : `user-${i}-ключ`;
        expected.set(key, kafkajsPartition({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }
      const bus = await KafkaBus.connect(kafkaConfig());
      const topic = `partitioner-${run}`;
      try {
        await bus.ensureTopic(topic, n);
        await bus.send(
          topic,
          [...expected.keys()].map((key) => ({ key, value: Uint8Array.of(1) })),
        );
        const consumer = bus.consumer({ group: `partitioner-${run}`, topics: [topic] });
        const landed = new Map<string, number>();
        const until = Date.now() + 60_000;
        for await (const batch of consumer.batches()) {
          for (const r of batch.records) landed.set(r.key!, r.partition);
          if (landed.size >= expected.size || Date.now() > until) break;
        }
        await consumer.close();
        assert.equal(landed.size, expected.size);
        for (const [key, p] of expected) assert.equal(landed.get(key), p, `partition of ${key}`);
      } finally {
        await bus.close();
      }
    });

    for (const compression of ['none', 'gzip'] as const) {
      it(`records written by a plain kafkajs producer (${compression}, with headers) are read through the fast fetch path`, async () => {
        const require = createRequire(import.meta.url);
        const kafkajs = require('kafkajs') as typeof import('kafkajs');
        const { Kafka, logLevel, CompressionTypes } = kafkajs;
        const kafka = new Kafka({ clientId: 'interop-in', brokers: [broker], logLevel: logLevel.NOTHING });
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        const bus = await KafkaBus.connect(kafkaConfig());
        const topic = `interop-in-${compression}-${run}`;
        const n = 3;
        // several sends make several batches per partition; one record has no key, one an empty value
        const sent = Array.from({ length: 300 }, (_, i) => ({
          key: i === 7 ? null : `k${i % 17}-ключ`,
          value: i === 8 ? Buffer.alloc(0) : Buffer.from(`value-${i}-`.repeat(1 + (i % 5))),
          timestamp: String(1_700_000_000_000 + i * 1000),
          headers: { h: `x${i}` },
          partition: i % n,
        }));
        try {
          await createTopicKeepingOldRecords(topic, n, broker); // records from 2023
          await bus.ensureTopic(topic, n);
          await producer.connect();
          for (let i = 0; i < sent.length; i += 50) {
            await producer.send({
              topic,
              compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
              messages: sent.slice(i, i + 50),
            });
          }
          const consumer = bus.consumer({ group: `interop-in-${compression}-${run}`, topics: [topic] });
          const got: {
            partition: number;
            offset: number;
            key: string | null;
            value: string;
            timestamp: number;
          }[] = [];
          const until = Date.now() + 60_000;
          for await (const batch of consumer.batches()) {
            for (const r of batch.records) {
              got.push({
                partition: r.partition,
                offset: r.offset,
                key: r.key,
                value: Buffer.from(r.value).toString(),
                timestamp: r.timestamp,
              });
            }
            if (got.length >= sent.length || Date.now() > until) break;
          }
          assert.ok(
            (consumer as unknown as { fastFetch: { active: boolean } }).fastFetch.active,
            'fast fetch path used',
          );
          await consumer.close();
          assert.equal(got.length, sent.length);
          for (let p = 0; p < n; p++) {
            const mine = got.filter((g) => g.partition === p);
            const theirs = sent.filter((s) => s.partition === p);
            assert.deepEqual(
              mine.map((g) => g.offset),
              theirs.map((_, i) => i),
              `offsets of partition ${p} are 0..n-1 in order`,
            );
            assert.deepEqual(
              mine.map(({ key, value, timestamp }) => ({ key, value, timestamp })),
              theirs.map((s) => ({ key: s.key, value: s.value.toString(), timestamp: Number(s.timestamp) })),
            );
          }
        } finally {
          await producer.disconnect();
          await bus.close();
        }
      });
    }

    it('a response of many record batches is handed out maxBatch at a time, in order, once each, with the lag after each batch', async () => {
      const bus = await KafkaBus.connect(kafkaConfig());
      const topic = `decode-${run}`;
      try {
        await bus.ensureTopic(topic, 1);
        // 20 sends of 10: 20 record batches, which one fetch returns together
        for (let s = 0; s < 20; s++) {
          await bus.send(
            topic,
            Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: Buffer.from(`m-${s * 10 + i}`) })),
          );
        }
        const consumer = bus.consumer({ group: `decode-${run}`, topics: [topic], maxBatch: 7 });
        const got: string[] = [];
        const lags: [number, number][] = [];
        try {
          for await (const batch of consumer.batches()) {
            assert.ok(batch.records.length >= 1 && batch.records.length <= 7, `${batch.records.length}`);
            for (const r of batch.records) got.push(Buffer.from(r.value).toString());
            lags.push([batch.records.at(-1)!.offset, batch.lag ?? -1]);
            if (got.length >= 200) break;
          }
        } finally {
          await consumer.close();
        }
        assert.deepEqual(
          got,
          Array.from({ length: 200 }, (_, i) => `m-${i}`),
        );
        // nothing was written while reading: the lag is what the topic holds after the batch
        for (const [last, lag] of lags) assert.equal(lag, 200 - (last + 1), `lag after offset ${last}`);
        assert.ok(lags.length >= Math.ceil(200 / 7));
      } finally {
        await bus.close();
      }
    });

    it("a batch corrupted on the broker's disk: the good batches before it are delivered, then the consumer stops with BUS_LOG_CORRUPT", async () => {
      const bus = await KafkaBus.connect(kafkaConfig('none'));
      const topic = `corrupt-${run}`;
      try {
        await bus.ensureTopic(topic, 1);
        // two sends, two batches: offsets 0-2, then 3-4
        await bus.send(
          topic,
          [0, 1, 2].map((i) => ({ key: 'k', value: Buffer.from(`good-${i}`) })),
        );
        await bus.send(
          topic,
          [3, 4].map((i) => ({ key: 'k', value: Buffer.from(`doomed-${i}`) })),
        );
        // Flip the last byte of the second batch in the segment file (the broker serves fetches from
        // it through the page cache, which this write goes to): its CRC no longer matches.
        const stackDir = process.env.STACK_DIR ?? join(import.meta.dirname, '..', '..', '.stack');
        const segment = join(stackDir, 'kafka', 'data', `${topic}-0`, '00000000000000000000.log');
        const bytes = readFileSync(segment);
        let at = 0;
        while (at < bytes.length && Number(bytes.readBigInt64BE(at)) !== 3)
          at += 12 + bytes.readInt32BE(at + 8);
        assert.ok(at < bytes.length, 'the second batch is in the segment');
        const last = at + 12 + bytes.readInt32BE(at + 8) - 1;
        const fd = openSync(segment, 'r+');
        writeSync(fd, Uint8Array.of(bytes[last]! ^ 0x55), 0, 1, last);
        closeSync(fd);

        const consumer = bus.consumer({ group: `corrupt-${run}`, topics: [topic] });
        const got: string[] = [];
        let error: unknown;
        const timer = setTimeout(() => void consumer.close(), 60_000);
        try {
          for await (const batch of consumer.batches()) {
            for (const r of batch.records) got.push(Buffer.from(r.value).toString());
          }
        } catch (e) {
          error = e;
        } finally {
          clearTimeout(timer);
          await consumer.close();
        }
        assert.deepEqual(got, ['good-0', 'good-1', 'good-2']);
        assert.ok(isTickstreamError(error, 'BUS_LOG_CORRUPT'), String(error));
      } finally {
        await bus.close();
      }
    });
  });
}
